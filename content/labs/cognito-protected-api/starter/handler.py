import json


def handler(event, context):
    # TODO: once the authorizer is in place, API Gateway puts the token's claims here.
    claims = (event.get("requestContext", {}).get("authorizer") or {}).get("claims") or {}
    user = claims.get("TODO", "anonymous")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"user": user, "notes": []}),
    }
