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
    # TODO: one broken record fails the whole batch here. Report it in
    # batchItemFailures instead and keep processing the other records.
    for record in event["Records"]:
        order = parse_order(record["body"])
        table.put_item(Item=order)
    return {"batchItemFailures": []}
