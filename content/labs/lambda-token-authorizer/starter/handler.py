import json


def handler(event, context):
    # TODO: return the team the authorizer put in the request context.
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"team": None}),
    }
