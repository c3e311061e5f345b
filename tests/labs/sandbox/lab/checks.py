"""Checks of the sandbox's own test lab: a Notes table and a Lambda function that writes a
note into it and reports how many times its warm environment has been used."""

import json

from labs.sandbox.checker import check


@check(
    "Notes table exists with a partition key 'id'",
    points=2,
    hint="Create table Notes with id (S) as its key.",
)
def table(ctx):
    description = ctx.client("dynamodb").describe_table(TableName="Notes")["Table"]
    keys = {key["KeyType"]: key["AttributeName"] for key in description["KeySchema"]}
    ctx.require(keys.get("HASH") == "id", f"The partition key is {keys.get('HASH')!r}, not 'id'.")
    return "Notes has the key 'id'."


@check(
    "The function stores a note",
    points=3,
    after=["table"],
    hint="The handler should put the item it receives.",
)
def function_writes(ctx):
    outcome = ctx.invoke("notes-writer", {"id": "n1", "text": "hello"})
    ctx.require(
        outcome.function_error is None, f"The function failed: {outcome.payload.decode()[:300]}"
    )
    item = ctx.client("dynamodb").get_item(TableName="Notes", Key={"id": {"S": "n1"}}).get("Item")
    ctx.require(item is not None, "No item 'n1' appeared in Notes after the invocation.")
    ctx.require(
        item.get("text", {}).get("S") == "hello",
        "The stored note has the wrong text.",
        hint="Store the event's text attribute.",
    )
    return "The note was stored."


@check("The function answers with its warm count", points=1, after=["function_writes"])
def warm(ctx):
    outcome = ctx.invoke("notes-writer", {"id": "n2", "text": "again"})
    body = json.loads(outcome.payload)
    if body.get("count") != 2:
        ctx.partial(0.5, f"Expected count 2 on the second call, got {body.get('count')!r}.")
    return "Warm environment kept its state."
