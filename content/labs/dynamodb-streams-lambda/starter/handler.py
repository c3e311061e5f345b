import os

import boto3
from boto3.dynamodb.types import TypeDeserializer

audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])
deserializer = TypeDeserializer()


def plain(image):
    """Turn a typed stream image into a dict of plain Python values."""
    return {name: deserializer.deserialize(value) for name, value in (image or {}).items()}


def handler(event, context):
    for record in event["Records"]:
        keys = plain(record["dynamodb"]["Keys"])
        item = {"sku": keys["sku"], "eventId": record["eventID"], "eventName": record["eventName"]}
        # TODO: add oldPrice from OldImage and newPrice from NewImage when they are present.
        audit.put_item(Item=item)
