"""SQS and DynamoDB-stream event source mappings delivered by the grader-driven pollers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends

from labs.sandbox.emulation import Emulation

from .conftest import ACCOUNT, REGION, FakeLambda, client, create_function


def ok(event: dict[str, Any]) -> None:
    return None


def _queue(
    name: str, *, visibility: int = 30, dlq_arn: str | None = None, max_receives: int = 2
) -> tuple[str, str]:
    sqs = client("sqs")
    attributes = {"VisibilityTimeout": str(visibility)}
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}
        )
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _send(url: str, *bodies: str) -> None:
    for body in bodies:
        client("sqs").send_message(QueueUrl=url, MessageBody=body)


def _bodies(event: dict[str, Any]) -> list[str]:
    return [r["body"] for r in event["Records"]]


def _count(url: str) -> tuple[int, int]:
    attrs = client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
    )


def _map(function: str, source_arn: str, **extra: Any) -> str:
    return client("lambda").create_event_source_mapping(
        FunctionName=function, EventSourceArn=source_arn, **extra
    )["UUID"]


def test_sqs_messages_wait_for_the_poller_and_arrive_as_one_batch(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    create_function(lambdas, "worker", ok)
    url, arn = _queue("jobs")
    _map("worker", arn)
    client("sqs").send_message(
        QueueUrl=url,
        MessageBody="a",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "email"}},
    )
    _send(url, "b", "c")

    assert lambdas.calls == []
    summary = emu.deliver_events()

    assert (summary.invocations, summary.idle) == (1, True)
    (event,) = lambdas.events("worker")
    assert _bodies(event) == ["a", "b", "c"]
    first = event["Records"][0]
    assert {k: first[k] for k in ("eventSource", "eventSourceARN", "awsRegion")} == {
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": REGION,
    }
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert first["messageAttributes"] == {
        "kind": {
            "stringValue": "email",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert sorted(first) == sorted(
        [
            "messageId",
            "receiptHandle",
            "body",
            "attributes",
            "messageAttributes",
            "md5OfBody",
            "md5OfMessageAttributes",
            "eventSource",
            "eventSourceARN",
            "awsRegion",
        ]
    )
    assert _count(url) == (0, 0)


def test_sqs_batch_size_splits_batches(emu: Emulation, lambdas: FakeLambda) -> None:
    create_function(lambdas, "worker", ok)
    url, arn = _queue("jobs")
    _map("worker", arn, BatchSize=2)
    _send(url, "1", "2", "3", "4", "5")

    summary = emu.deliver_events()

    assert [_bodies(e) for e in lambdas.events("worker")] == [["1", "2"], ["3", "4"], ["5"]]
    assert [d.result for d in summary.deliveries] == ["success"] * 3


def test_sqs_partial_batch_failure_returns_only_failed_messages(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def picky(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"
            ]
        }

    create_function(lambdas, "worker", picky)
    url, arn = _queue("jobs", visibility=300)
    _map("worker", arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    _send(url, "good", "bad", "fine")

    first = emu.deliver_events()
    waiting = _count(url)
    emu.clock.advance(240)  # (the clock also flows with real time: keep a wide margin)
    too_early = emu.deliver_events()
    emu.clock.advance(61)
    retry = emu.deliver_events(max_rounds=1)

    assert [d.result for d in first.deliveries] == ["partial"]
    assert [(d.result, len(d.record_ids)) for d in retry.deliveries] == [("failure", 1)]
    assert waiting == (0, 1)
    assert too_early.invocations == 0
    retried = lambdas.events("worker")[1]["Records"]
    assert [(r["body"], r["attributes"]["ApproximateReceiveCount"]) for r in retried] == [
        ("bad", "2")
    ]


def test_sqs_handler_error_returns_the_whole_batch(emu: Emulation, lambdas: FakeLambda) -> None:
    def fails_on_bad(event: dict[str, Any]) -> None:
        if "bad" in _bodies(event):
            raise ValueError("bad message")

    create_function(lambdas, "worker", fails_on_bad)
    url, arn = _queue("jobs", visibility=10)
    _map("worker", arn)
    _send(url, "good", "bad")

    summary = emu.deliver_events()
    emu.clock.advance(11)
    emu.deliver_events(max_rounds=1)

    assert (summary.deliveries[0].result, summary.deliveries[0].detail) == (
        "failure",
        "ValueError: bad message",
    )
    assert sorted(_bodies(lambdas.events("worker")[1])) == ["bad", "good"]


def test_sqs_poison_message_reaches_the_dlq_after_max_receive_count(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def always_fails(event: dict[str, Any]) -> None:
        raise RuntimeError("cannot parse")

    create_function(lambdas, "worker", always_fails)
    dlq_url, dlq_arn = _queue("jobs-dlq")
    url, arn = _queue("jobs", visibility=30, dlq_arn=dlq_arn, max_receives=2)
    _map("worker", arn)
    _send(url, "poison")

    for _ in range(3):
        emu.deliver_events()
        emu.clock.advance(31)
    emu.deliver_events()

    counts = [
        r["attributes"]["ApproximateReceiveCount"]
        for e in lambdas.events("worker")
        for r in e["Records"]
    ]
    assert counts == ["1", "2"]
    assert _count(url) == (0, 0)
    moved = client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]


def test_settle_plays_retries_and_redrive_out_in_one_call(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def always_fails(event: dict[str, Any]) -> None:
        raise RuntimeError("nope")

    create_function(lambdas, "worker", always_fails)
    dlq_url, dlq_arn = _queue("jobs-dlq")
    url, arn = _queue("jobs", visibility=60, dlq_arn=dlq_arn, max_receives=3)
    _map("worker", arn)
    _send(url, "poison")
    started = emu.clock.now()

    summary = emu.deliver_events(settle=True)

    assert (summary.invocations, summary.idle) == (3, True)
    # three visibility timeouts of 60 s passed on the emulation clock
    assert emu.clock.now() - started >= 180
    assert _count(dlq_url) == (1, 0)


def test_sqs_unreadable_batch_item_failures_fail_the_whole_batch(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    create_function(
        lambdas, "worker", lambda e: {"batchItemFailures": [{"itemIdentifier": "not-a-message"}]}
    )
    url, arn = _queue("jobs")
    _map("worker", arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    _send(url, "a", "b")

    summary = emu.deliver_events()

    assert summary.deliveries[0].result == "failure"
    assert _count(url) == (0, 2)


def test_sqs_disabled_mapping_delivers_nothing_until_enabled(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    create_function(lambdas, "worker", ok)
    url, arn = _queue("jobs")
    uuid = _map("worker", arn, Enabled=False)
    _send(url, "held")

    disabled = emu.deliver_events()
    client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    enabled = emu.deliver_events()

    assert (disabled.invocations, enabled.invocations) == (0, 1)
    assert _bodies(lambdas.events("worker")[0]) == ["held"]


def test_mapping_refuses_visibility_timeout_shorter_than_function_timeout(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    create_function(lambdas, "slow", ok, timeout=60)
    _, arn = _queue("jobs", visibility=30)

    with pytest.raises(ClientError) as caught:
        _map("slow", arn)

    assert caught.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
    }
    assert client("lambda").list_event_source_mappings()["EventSourceMappings"] == []


# --- DynamoDB streams ----------------------------------------------------------------------


def _table(view: str = "NEW_AND_OLD_IMAGES") -> str:
    ddb = client("dynamodb")
    description = ddb.create_table(
        TableName="Orders",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]
    return description["LatestStreamArn"]


def _put(pk: str, sk: str, **extra: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}
    client("dynamodb").put_item(TableName="Orders", Item=item)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_stream_records_have_aws_shape_per_event_name(emu: Emulation, lambdas: FakeLambda) -> None:
    create_function(lambdas, "audit", ok)
    stream_arn = _table()
    _map("audit", stream_arn, StartingPosition="TRIM_HORIZON")
    _put("o1", "a", status="new")
    _put("o1", "a", status="paid")
    client("dynamodb").delete_item(TableName="Orders", Key=_key("o1", "a"))

    assert lambdas.calls == []
    emu.deliver_events()

    (event,) = lambdas.events("audit")
    records = event["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert [sorted(r["dynamodb"]) for r in records] == [
        [
            "ApproximateCreationDateTime",
            "Keys",
            "NewImage",
            "SequenceNumber",
            "SizeBytes",
            "StreamViewType",
        ],
        [
            "ApproximateCreationDateTime",
            "Keys",
            "NewImage",
            "OldImage",
            "SequenceNumber",
            "SizeBytes",
            "StreamViewType",
        ],
        [
            "ApproximateCreationDateTime",
            "Keys",
            "OldImage",
            "SequenceNumber",
            "SizeBytes",
            "StreamViewType",
        ],
    ]
    modify = records[1]
    assert modify["dynamodb"]["Keys"] == _key("o1", "a")
    assert modify["dynamodb"]["OldImage"]["status"] == {"S": "new"}
    assert modify["dynamodb"]["NewImage"]["status"] == {"S": "paid"}
    assert {
        k: modify[k] for k in ("eventSource", "eventSourceARN", "awsRegion", "eventVersion")
    } == {
        "eventSource": "aws:dynamodb",
        "eventSourceARN": stream_arn,
        "awsRegion": REGION,
        "eventVersion": "1.1",
    }
    assert isinstance(modify["dynamodb"]["ApproximateCreationDateTime"], int)


def test_stream_keys_only_view_and_latest_starting_position(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    create_function(lambdas, "audit", ok)
    stream_arn = _table("KEYS_ONLY")
    _put("before", "1")
    _map("audit", stream_arn, StartingPosition="LATEST")
    _put("after", "1")

    emu.deliver_events()

    (event,) = lambdas.events("audit")
    (record,) = event["Records"]
    assert record["dynamodb"]["Keys"] == _key("after", "1")
    assert "NewImage" not in record["dynamodb"]


def test_stream_batch_size_and_disabled_mapping(emu: Emulation, lambdas: FakeLambda) -> None:
    create_function(lambdas, "audit", ok)
    stream_arn = _table()
    uuid = _map("audit", stream_arn, StartingPosition="TRIM_HORIZON", BatchSize=2, Enabled=False)
    for n in range(5):
        _put("o", str(n))

    disabled = emu.deliver_events()
    client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    emu.deliver_events()

    assert disabled.invocations == 0
    assert [
        [r["dynamodb"]["Keys"]["sk"]["S"] for r in e["Records"]] for e in lambdas.events("audit")
    ] == [["0", "1"], ["2", "3"], ["4"]]


def test_stream_failed_batch_is_retried_then_discarded_after_maximum_retry_attempts(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def fails_on_poison(event: dict[str, Any]) -> None:
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == "poison" for r in event["Records"]):
            raise RuntimeError("poison")

    create_function(lambdas, "audit", fails_on_poison)
    stream_arn = _table()
    _, dlq_arn = _queue("stream-failures")
    _map(
        "audit",
        stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=1,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    _put("poison", "1")
    _put("fine", "1")

    summary = emu.deliver_events()

    assert [d.result for d in summary.deliveries] == ["failure", "failure", "discarded", "success"]
    keys = [e["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] for e in lambdas.events("audit")]
    assert keys == ["poison", "poison", "poison", "fine"]
    failure_url = client("sqs").get_queue_url(QueueName="stream-failures")["QueueUrl"]
    (record,) = client("sqs").receive_message(QueueUrl=failure_url)["Messages"]
    info = json.loads(record["Body"])
    assert (info["requestContext"]["condition"], info["DDBStreamBatchInfo"]["batchSize"]) == (
        "RetryAttemptsExhausted",
        1,
    )


def test_stream_bisect_on_error_isolates_the_failing_record(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def fails_on_two(event: dict[str, Any]) -> None:
        if any(r["dynamodb"]["Keys"]["sk"]["S"] == "2" for r in event["Records"]):
            raise RuntimeError("bad record")

    create_function(lambdas, "audit", fails_on_two)
    stream_arn = _table()
    _map(
        "audit",
        stream_arn,
        StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
    )
    for n in range(4):
        _put("o", str(n))

    summary = emu.deliver_events()

    batches = [
        [r["dynamodb"]["Keys"]["sk"]["S"] for r in e["Records"]] for e in lambdas.events("audit")
    ]
    assert batches == [["0", "1", "2", "3"], ["0", "1"], ["2", "3"], ["2"], ["3"]]
    assert [d.result for d in summary.deliveries] == [
        "failure",
        "success",
        "failure",
        "discarded",
        "success",
    ]


def test_stream_partial_failure_resumes_from_the_failed_record(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    seen: list[list[str]] = []

    def second_fails_once(event: dict[str, Any]) -> dict[str, Any]:
        sks = [r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]]
        seen.append(sks)
        if len(seen) == 1:
            return {
                "batchItemFailures": [
                    {"itemIdentifier": event["Records"][1]["dynamodb"]["SequenceNumber"]}
                ]
            }
        return {"batchItemFailures": []}

    create_function(lambdas, "audit", second_fails_once)
    stream_arn = _table()
    _map(
        "audit",
        stream_arn,
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    for n in range(3):
        _put("o", str(n))

    emu.deliver_events()

    assert seen == [["0", "1", "2"], ["1", "2"]]


def test_stream_records_stay_in_the_shard_after_delivery(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    # moto empties the shard after delivering to a mapping, which hides the records from
    # GetRecords; our delivery reads from its own checkpoint and leaves them.
    create_function(lambdas, "audit", ok)
    stream_arn = _table()
    _map("audit", stream_arn, StartingPosition="TRIM_HORIZON")
    _put("o", "1")
    emu.deliver_events()
    _put("o", "2")
    emu.deliver_events()

    shard = dynamodb_backends[ACCOUNT][REGION].get_table("Orders").stream_shard
    assert [r.record["eventName"] for r in shard.items] == ["INSERT", "INSERT"]
    assert len(lambdas.events("audit")) == 2
