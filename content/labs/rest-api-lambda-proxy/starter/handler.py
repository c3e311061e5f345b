import json


def handler(event, context):
    if event["httpMethod"] == "GET":
        note_id = event["pathParameters"]["id"]
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"id": note_id}),
        }
    # TODO: POST /notes: read the JSON body, answer 201 with an id and the text.
    return {"statusCode": 400, "body": json.dumps({"message": "unsupported"})}
