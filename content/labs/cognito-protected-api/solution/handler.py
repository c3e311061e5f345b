import json


def handler(event, context):
    # The authorizer has already verified the token; its claims arrive as strings.
    claims = event["requestContext"]["authorizer"]["claims"]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"user": claims["cognito:username"], "notes": []}),
    }
