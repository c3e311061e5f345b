import json


def handler(event, context):
    team = event["requestContext"]["authorizer"]["team"]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"team": team}),
    }
