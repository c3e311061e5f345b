import json
import os
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def parse_order(body):
    """Return the order as a dict, or raise ValueError when the message is broken."""
    order = json.loads(body, parse_float=Decimal)
    if not isinstance(order, dict) or not isinstance(order.get("orderId"), str):
        raise ValueError("an order needs a string orderId")
    amount = order.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, Decimal)) or amount <= 0:
        raise ValueError("an order needs a positive amount")
    return {"orderId": order["orderId"], "amount": Decimal(str(amount))}


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = parse_order(record["body"])
        except ValueError as error:  # json.JSONDecodeError is a ValueError too
            print(f"rejecting {record['messageId']}: {error}")
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        table.put_item(Item=order)
    # Only the listed records return to the queue; the rest are deleted.
    return {"batchItemFailures": failures}
