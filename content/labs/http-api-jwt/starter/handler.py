import json


def handler(event, context):
    # TODO: return the caller's claims once the JWT authorizer passes them in.
    claims = {}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"username": claims.get("cognito:username"), "sub": claims.get("sub")}),
    }
