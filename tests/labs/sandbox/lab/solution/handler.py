import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
COUNT = 0


def handle(event, context):
    global COUNT
    COUNT += 1
    table.put_item(Item={"id": event["id"], "text": event["text"]})
    print("stored", event["id"], context.function_name, context.memory_limit_in_mb)
    return {"count": COUNT, "remaining": context.get_remaining_time_in_millis() > 0}
