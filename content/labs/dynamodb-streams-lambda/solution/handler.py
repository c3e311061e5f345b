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
        change = record["dynamodb"]
        keys = plain(change["Keys"])
        item = {"sku": keys["sku"], "eventId": record["eventID"], "eventName": record["eventName"]}
        old, new = plain(change.get("OldImage")), plain(change.get("NewImage"))
        if "price" in old:
            item["oldPrice"] = old["price"]
        if "price" in new:
            item["newPrice"] = new["price"]
        audit.put_item(Item=item)
