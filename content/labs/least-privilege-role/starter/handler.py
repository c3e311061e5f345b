import json
import os

import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _plain(items):
    # DynamoDB numbers arrive as Decimal, which the Lambda runtime cannot serialise.
    return json.loads(json.dumps(items, default=float))


def handler(event, context):
    if "orderId" in event:
        item = table.get_item(Key={"customerId": event["customerId"], "orderId": event["orderId"]})
        return {"orders": _plain([item["Item"]] if "Item" in item else [])}
    found = table.query(KeyConditionExpression=Key("customerId").eq(event["customerId"]))
    return {"orders": _plain(found["Items"])}
