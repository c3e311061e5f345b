"""Checks for the SQS -> Lambda lab with partial batch failures and a DLQ."""

import json
import time

from labs.sandbox.checker import check

QUEUE = "orders-queue"
DLQ = "orders-dlq"
FUNCTION = "order-worker"
TABLE = "ProcessedOrders"
GOOD = [{"orderId": f"good-{n}", "amount": 10 + n} for n in range(3)]
POISON = ["this is not json", json.dumps({"orderId": "no-amount"})]


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _queue(ctx, name: str) -> tuple[str, dict]:
    sqs = ctx.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _mapping(ctx) -> dict | None:
    _, attributes = _queue(ctx, QUEUE)
    mappings = ctx.client("lambda").list_event_source_mappings(FunctionName=FUNCTION)
    found = [
        m for m in mappings["EventSourceMappings"] if m["EventSourceArn"] == attributes["QueueArn"]
    ]
    return found[0] if found else None


def _sqs_event(records: list[tuple[str, str]], queue_arn: str) -> bytes:
    return json.dumps(
        {
            "Records": [
                {
                    "messageId": message_id,
                    "receiptHandle": f"handle-{message_id}",
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": "us-east-1",
                }
                for message_id, body in records
            ]
        }
    ).encode()


@check(
    "orders-queue sends repeated failures to orders-dlq",
    points=2,
    hint=(
        "Set the queue attribute RedrivePolicy to json.dumps({'deadLetterTargetArn': "
        "<orders-dlq ARN>, 'maxReceiveCount': '3'})."
    ),
)
def redrive(ctx):
    _, dlq = _queue(ctx, DLQ)
    _, attributes = _queue(ctx, QUEUE)
    ctx.require("RedrivePolicy" in attributes, "orders-queue has no redrive policy.")
    policy = json.loads(attributes["RedrivePolicy"])
    ctx.require(
        policy.get("deadLetterTargetArn") == dlq["QueueArn"],
        f"The redrive policy targets {policy.get('deadLetterTargetArn')}, not orders-dlq.",
    )
    count = int(policy.get("maxReceiveCount", 0))
    if count != 3:
        ctx.partial(1, f"maxReceiveCount is {count}; the instructions ask for 3 receives.")
    return "After 3 receives a message moves to orders-dlq."


@check(
    "Visibility timeout is at least 6x the function timeout",
    points=2,
    hint=(
        "AWS recommends a queue visibility timeout of at least six times the function "
        "timeout: with a 10 s function, use 60 s or more, or batches in progress reappear "
        "and are processed twice."
    ),
)
def visibility(ctx):
    _, attributes = _queue(ctx, QUEUE)
    queue_timeout = int(attributes["VisibilityTimeout"])
    function_timeout = ctx.client("lambda").get_function_configuration(FunctionName=FUNCTION)[
        "Timeout"
    ]
    ctx.require(
        queue_timeout >= 6 * function_timeout,
        f"The queue hides a message for {queue_timeout} s, but the function may run for "
        f"{function_timeout} s; that needs at least {6 * function_timeout} s.",
    )
    return f"{queue_timeout} s visibility for a {function_timeout} s function."


@check(
    "order-worker polls orders-queue and may report partial failures",
    points=2,
    hint="create_event_source_mapping(..., FunctionResponseTypes=['ReportBatchItemFailures'])",
)
def mapping(ctx):
    found = _mapping(ctx)
    ctx.require(found, "No event source mapping connects orders-queue to order-worker.")
    ctx.require(found.get("BatchSize", 10) <= 10, f"BatchSize is {found.get('BatchSize')}.")
    if "ReportBatchItemFailures" not in (found.get("FunctionResponseTypes") or []):
        ctx.partial(
            1,
            "The mapping exists, but without ReportBatchItemFailures Lambda ignores the "
            "batchItemFailures the handler returns and retries the whole batch.",
        )


@check(
    "The handler reports only the broken record",
    points=2,
    hint=(
        "Catch the error per record and return {'batchItemFailures': [{'itemIdentifier': "
        "record['messageId']}]} for the broken ones; do not raise."
    ),
)
def handler_reports(ctx):
    _, attributes = _queue(ctx, QUEUE)
    event = _sqs_event(
        [
            ("direct-good", json.dumps({"orderId": "direct-good", "amount": 3})),
            ("direct-bad", "{broken"),
        ],
        attributes["QueueArn"],
    )
    outcome = ctx.invoke(FUNCTION, event)
    ctx.require(
        outcome.function_error is None,
        "The handler raised on the broken record, so the whole batch would be retried: "
        f"{outcome.payload.decode(errors='replace')[:200]}",
    )
    result = json.loads(outcome.payload or b"null")
    failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
    ctx.require(
        failures == [{"itemIdentifier": "direct-bad"}],
        f"The handler returned {result!r}; expected only direct-bad in batchItemFailures.",
    )
    item = ctx.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": "direct-good"}})
    ctx.require("Item" in item, "The good record of the batch was not saved.")
    return "One good and one broken record: the good one was saved, the broken one reported."


@check(
    "Good orders are saved once and broken ones end in orders-dlq",
    points=4,
    hint=(
        "With ReportBatchItemFailures on and the handler reporting only broken records, good "
        "orders are deleted from the queue and only broken ones move to the DLQ."
    ),
)
def end_to_end(ctx):
    sqs = ctx.client("sqs")
    url, attributes = _queue(ctx, QUEUE)
    dlq_url, _ = _queue(ctx, DLQ)
    found = _mapping(ctx)
    ctx.require(found, "No event source mapping delivers orders-queue's messages to the function.")
    tag = str(time.time_ns() % 10**9)
    good = [dict(order, orderId=f"{order['orderId']}-{tag}") for order in GOOD]
    bodies = [json.dumps(order) for order in good] + POISON
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    # Each round lets the poller take every visible message, then moves the clock past the
    # visibility timeout so failed messages come back (and, past maxReceiveCount, move on).
    step = int(attributes["VisibilityTimeout"]) + 1
    for _ in range(8):
        ctx.deliver_events()
        counts = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if not any(int(value) for value in counts.values()):
            break
        ctx.advance_clock(step)

    dynamodb = ctx.client("dynamodb")
    saved = [
        o["orderId"]
        for o in good
        if "Item" in dynamodb.get_item(TableName=TABLE, Key={"orderId": {"S": o["orderId"]}})
    ]
    in_dlq = []
    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        in_dlq += [m["Body"] for m in messages]
    earned, problems = 0, []
    if len(saved) == len(good):
        earned += 2
    else:
        problems.append(f"only {len(saved)} of {len(good)} good orders reached {TABLE}")
    good_in_dlq = [b for b in in_dlq if b not in POISON]
    if sorted(in_dlq) == sorted(POISON):
        earned += 2
    elif good_in_dlq:
        problems.append(
            f"{len(good_in_dlq)} good orders ended in the DLQ: a failure in their batch "
            "returned them to the queue with the broken one"
        )
    elif "RedrivePolicy" not in attributes:
        problems.append("broken messages never reach a DLQ: orders-queue has no redrive policy")
    elif "ReportBatchItemFailures" not in (found.get("FunctionResponseTypes") or []):
        problems.append(
            "the broken messages were deleted with their batch: without "
            "ReportBatchItemFailures, Lambda ignores the failures the handler returns"
        )
    else:
        problems.append(f"{len(in_dlq)} of the {len(POISON)} broken messages reached the DLQ")
    if problems:
        ctx.partial(earned, _sentence(problems))
    return "3 good orders saved; the 2 broken messages are waiting in orders-dlq."
