import json
import uuid


def _answer(status, document):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(document),
    }


def handler(event, context):
    if event["httpMethod"] == "GET":
        return _answer(200, {"id": event["pathParameters"]["id"]})
    if event["httpMethod"] == "POST":
        try:
            text = json.loads(event.get("body") or "{}")["text"]
        except (ValueError, KeyError, TypeError):
            return _answer(400, {"message": "send a JSON body with a text field"})
        return _answer(201, {"id": uuid.uuid4().hex, "text": text})
    return _answer(405, {"message": "method not allowed"})
