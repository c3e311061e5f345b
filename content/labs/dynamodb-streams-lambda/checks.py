"""Checks for the DynamoDB Streams audit trail lab."""

import time

from labs.sandbox.checker import check

SOURCE = "Products"
AUDIT = "ProductAudit"
FUNCTION = "product-auditor"


def _stream_arn(ctx) -> str | None:
    return ctx.client("dynamodb").describe_table(TableName=SOURCE)["Table"].get("LatestStreamArn")


def _audit(ctx, sku: str) -> list[dict]:
    items = ctx.client("dynamodb").query(
        TableName=AUDIT,
        KeyConditionExpression="sku = :sku",
        ExpressionAttributeValues={":sku": {"S": sku}},
    )["Items"]
    return [
        {
            "eventName": i.get("eventName", {}).get("S"),
            "oldPrice": _number(i.get("oldPrice")),
            "newPrice": _number(i.get("newPrice")),
        }
        for i in items
    ]


def _number(value: dict | None) -> object:
    """A stored number as float; anything else (a price saved as text, say) as stored, so
    the learner's message shows what was written."""
    if value is None:
        return None
    return float(value["N"]) if "N" in value else value


def _sku(kind: str) -> str:
    return f"{kind}-{time.time_ns() % 10**9}"


def _put(ctx, sku: str, price: int) -> None:
    ctx.client("dynamodb").put_item(
        TableName=SOURCE, Item={"sku": {"S": sku}, "price": {"N": str(price)}}
    )


def _one(ctx, sku: str, event_name: str) -> dict:
    records = [r for r in _audit(ctx, sku) if r["eventName"] == event_name]
    ctx.require(
        len(records) == 1,
        f"Expected one {event_name} audit item for {sku}, found {len(records)} "
        f"(all audit items for it: {_audit(ctx, sku)}).",
    )
    return records[0]


@check(
    "Products streams the old and the new item",
    points=2,
    hint="create_table(..., StreamSpecification={'StreamEnabled': True, "
    "'StreamViewType': 'NEW_AND_OLD_IMAGES'})",
)
def stream(ctx):
    spec = (
        ctx.client("dynamodb").describe_table(TableName=SOURCE)["Table"].get("StreamSpecification")
        or {}
    )
    ctx.require(spec.get("StreamEnabled"), "Products has no stream.")
    view = spec.get("StreamViewType")
    ctx.require(
        view == "NEW_AND_OLD_IMAGES",
        f"With {view}, the auditor cannot see both the price before and after a change.",
    )


@check(
    "product-auditor is fed by the Products stream",
    points=2,
    hint="create_event_source_mapping(EventSourceArn=<LatestStreamArn>, "
    "FunctionName='product-auditor', StartingPosition='LATEST')",
)
def mapping(ctx):
    arn = _stream_arn(ctx)
    ctx.require(arn, "Products has no stream, so there is nothing to map to the function.")
    mappings = ctx.client("lambda").list_event_source_mappings(FunctionName=FUNCTION)
    found = [m for m in mappings["EventSourceMappings"] if m["EventSourceArn"] == arn]
    ctx.require(found, "No event source mapping connects the Products stream to the function.")
    ctx.require(
        found[0].get("State") not in ("Disabled", "Disabling"),
        "The mapping is disabled, so no record will be delivered.",
    )


@check(
    "An insert is audited with the new price",
    points=2,
    after=["mapping"],
    hint="For INSERT, write newPrice from record['dynamodb']['NewImage'].",
)
def audit_insert(ctx):
    sku = _sku("insert")
    _put(ctx, sku, 10)
    ctx.deliver_events()
    record = _one(ctx, sku, "INSERT")
    ctx.require(
        record["newPrice"] == 10 and record["oldPrice"] is None,
        f"The INSERT audit item has {record}; expected newPrice 10 and no oldPrice.",
    )


@check(
    "An update is audited with the old and the new price",
    points=2,
    after=["mapping"],
    hint="For MODIFY, write oldPrice from OldImage and newPrice from NewImage.",
)
def audit_update(ctx):
    sku = _sku("update")
    _put(ctx, sku, 10)
    ctx.client("dynamodb").update_item(
        TableName=SOURCE,
        Key={"sku": {"S": sku}},
        UpdateExpression="SET price = :p",
        ExpressionAttributeValues={":p": {"N": "12"}},
    )
    ctx.deliver_events()
    record = _one(ctx, sku, "MODIFY")
    ctx.require(
        record["oldPrice"] == 10 and record["newPrice"] == 12,
        f"The MODIFY audit item has {record}; expected oldPrice 10 and newPrice 12.",
    )


@check(
    "A delete is audited with the last price",
    points=2,
    after=["mapping"],
    hint="For REMOVE there is no NewImage: take oldPrice from OldImage.",
)
def audit_delete(ctx):
    sku = _sku("delete")
    _put(ctx, sku, 7)
    ctx.client("dynamodb").delete_item(TableName=SOURCE, Key={"sku": {"S": sku}})
    ctx.deliver_events()
    record = _one(ctx, sku, "REMOVE")
    ctx.require(
        record["oldPrice"] == 7 and record["newPrice"] is None,
        f"The REMOVE audit item has {record}; expected oldPrice 7 and no newPrice.",
    )
