"""Checks for the Orders table design lab."""

from labs.sandbox.checker import check

TABLE = "Orders"
INDEX = "status-index"
# 50 strongly consistent reads/s x ceil(7 KB / 4 KB); 20 writes/s x ceil(2.5 KB / 1 KB).
EXPECTED_RCU = 100
EXPECTED_WCU = 60


def _table(ctx) -> dict:
    return ctx.client("dynamodb").describe_table(TableName=TABLE)["Table"]


def _keys(key_schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


@check("The Orders table exists", points=1, hint="Create a table named exactly `Orders`.")
def table_exists(ctx):
    names = ctx.client("dynamodb").list_tables()["TableNames"]
    ctx.require(TABLE in names, f"No table named {TABLE!r} was created (found: {names or 'none'}).")


@check(
    "Composite primary key customerId + orderId",
    points=2,
    after=["table_exists"],
    hint="Use `customerId` as the HASH key and `orderId` as the RANGE key, both strings.",
)
def composite_key(ctx):
    table = _table(ctx)
    keys = _keys(table["KeySchema"])
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    ctx.require(
        keys.get("HASH") == "customerId",
        f"The partition key is {keys.get('HASH')!r}, not 'customerId'.",
    )
    if keys.get("RANGE") != "orderId":
        ctx.partial(
            1,
            "The partition key is right, but without the sort key `orderId` a customer can "
            "have only one order.",
        )
    ctx.require(
        types.get("customerId") == "S" and types.get("orderId") == "S",
        "Both key attributes must be strings (AttributeType `S`).",
    )
    client = ctx.client("dynamodb")
    for order_id in ("2026-01-01T09:00:00#a", "2026-01-02T09:00:00#b"):
        client.put_item(
            TableName=TABLE,
            Item={"customerId": {"S": "grader-history"}, "orderId": {"S": order_id}},
        )
    newest_first = client.query(
        TableName=TABLE,
        KeyConditionExpression="customerId = :c",
        ExpressionAttributeValues={":c": {"S": "grader-history"}},
        ScanIndexForward=False,
    )["Items"]
    ctx.require(
        [i["orderId"]["S"][-1] for i in newest_first] == ["b", "a"],
        "Querying one customer's orders, newest first, did not return both test orders.",
    )
    return "Two orders of one customer came back from one query, newest first."


@check(
    "status-index answers the warehouse query",
    points=3,
    after=["composite_key"],
    hint=(
        "Add a global secondary index `status-index` with `status` as the partition key, "
        "`createdAt` as the sort key and projection ALL."
    ),
)
def status_index(ctx):
    table = _table(ctx)
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    ctx.require(INDEX in indexes, f"The table has no global secondary index named {INDEX!r}.")
    index = indexes[INDEX]
    keys = _keys(index["KeySchema"])
    ctx.require(
        keys.get("HASH") == "status" and keys.get("RANGE") == "createdAt",
        f"The index key is {keys.get('HASH')!r} + {keys.get('RANGE')!r}; "
        "it should be 'status' + 'createdAt'.",
    )
    client = ctx.client("dynamodb")
    client.put_item(
        TableName=TABLE,
        Item={
            "customerId": {"S": "grader-customer"},
            "orderId": {"S": "2026-01-01T10:00:00#g1"},
            "status": {"S": "GRADER_PENDING"},
            "createdAt": {"S": "2026-01-01T10:00:00"},
            "total": {"N": "42"},
        },
    )
    found = client.query(
        TableName=TABLE,
        IndexName=INDEX,
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "GRADER_PENDING"}},
    )["Items"]
    ctx.require(len(found) == 1, "Querying the index by status did not return the test order.")
    projection = index.get("Projection", {}).get("ProjectionType")
    if projection != "ALL":
        ctx.partial(
            2,
            f"The index projects {projection}, so the warehouse screen would have to read "
            "every order again from the table.",
            hint="Set `Projection={'ProjectionType': 'ALL'}` on the index.",
        )
    return "Querying status-index by status returned the test order with all its attributes."


@check(
    "Capacity is sized from the workload",
    points=4,
    after=["table_exists"],
    hint=(
        "Reads: 50/s x ceil(7 KB / 4 KB) RCU each. Writes: 20/s x ceil(2.5 KB / 1 KB) WCU "
        "each. Round up per item before multiplying."
    ),
)
def capacity(ctx):
    table = _table(ctx)
    mode = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    ctx.require(
        mode == "PROVISIONED",
        "The table uses on-demand billing; this workload is steady and known, so provision "
        "capacity for it.",
    )
    throughput = table["ProvisionedThroughput"]
    rcu, wcu = throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]
    earned, problems = 0, []
    if rcu == EXPECTED_RCU:
        earned += 2
    elif rcu in (88, 87):
        problems.append(f"{rcu} RCU: each 7 KB read uses 2 whole units, not 1.75.")
    elif rcu == EXPECTED_RCU // 2:
        problems.append(f"{rcu} RCU is the eventually consistent figure; these reads are strong.")
    else:
        problems.append(f"{rcu} RCU does not match the read workload.")
    if wcu == EXPECTED_WCU:
        earned += 1
    elif wcu == 50:
        problems.append(f"{wcu} WCU: each 2.5 KB write uses 3 whole units, not 2.5.")
    else:
        problems.append(f"{wcu} WCU does not match the write workload.")
    index = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}.get(INDEX)
    index_wcu = (index or {}).get("ProvisionedThroughput", {}).get("WriteCapacityUnits", 0)
    if index and index_wcu >= wcu:
        earned += 1
    else:
        problems.append(
            f"The index has {index_wcu} WCU, less than the table's {wcu}: index writes "
            "would throttle the table."
        )
    if earned < 4:
        ctx.partial(earned, " ".join(problems))
    return f"{rcu} RCU and {wcu} WCU match the workload."


@check(
    "Abandoned carts expire with TTL on expiresAt",
    points=2,
    after=["table_exists"],
    hint="Call `update_time_to_live` with `{'Enabled': True, 'AttributeName': 'expiresAt'}`.",
)
def ttl(ctx):
    desc = ctx.client("dynamodb").describe_time_to_live(TableName=TABLE)
    desc = desc["TimeToLiveDescription"]
    status = desc.get("TimeToLiveStatus")
    ctx.require(status in ("ENABLED", "ENABLING"), f"Time to live is {status or 'DISABLED'}.")
    attribute = desc.get("AttributeName")
    ctx.require(
        attribute == "expiresAt",
        f"Time to live reads {attribute!r}, but the carts store their expiry in 'expiresAt'.",
    )


@check(
    "The stream gives the indexer each new item",
    points=2,
    after=["table_exists"],
    hint="Enable the stream with `StreamViewType='NEW_IMAGE'`.",
)
def stream(ctx):
    table = _table(ctx)
    spec = table.get("StreamSpecification") or {}
    ctx.require(spec.get("StreamEnabled"), "The table has no stream.")
    view = spec.get("StreamViewType")
    ctx.require(
        view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"),
        f"With {view} the indexer would not see the item after the change.",
    )
    # The indexer reads the stream through the Streams API: the table's current stream must
    # be listed there, and an order written now must come out of it with its attributes.
    streams = ctx.client("dynamodbstreams")
    listed = streams.list_streams(TableName=TABLE)["Streams"]
    arn = table["LatestStreamArn"]
    ctx.require(
        arn in [s["StreamArn"] for s in listed],
        "The Streams API does not list the table's current stream.",
    )
    ctx.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "customerId": {"S": "grader-stream"},
            "orderId": {"S": "2026-01-03T09:00:00#s"},
            "status": {"S": "GRADER_STREAMED"},
        },
    )
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    ours = [
        r["dynamodb"]
        for r in records
        if r["dynamodb"]["Keys"].get("customerId") == {"S": "grader-stream"}
    ]
    ctx.require(ours, "An order written to Orders did not appear on the table's stream.")
    ctx.require(
        ours[-1].get("NewImage", {}).get("status") == {"S": "GRADER_STREAMED"},
        "The stream record of a new order does not carry the order's attributes.",
    )
    if view == "NEW_AND_OLD_IMAGES":
        ctx.partial(
            1,
            "NEW_AND_OLD_IMAGES works, but every record also carries the old item, which the "
            "indexer never reads.",
        )
    return f"The stream is enabled with {view}; a new order came out of it with its attributes."
