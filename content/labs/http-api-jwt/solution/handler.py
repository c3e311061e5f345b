import json


def handler(event, context):
    # API Gateway has verified the token; payload 2.0 puts its claims here.
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"username": claims["cognito:username"], "sub": claims["sub"]}),
    }
