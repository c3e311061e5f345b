"""Lambda's pollers for SQS queues and DynamoDB streams, run by the grader instead of inside
each SendMessage/PutItem as moto does: real batches, partial batch failures, retries driven
by the visibility timeout on the emulation clock, redrive to the DLQ, stream checkpoints."""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.core.utils import unix_time
from moto.dynamodb.models import dynamodb_backends
from moto.sqs.models import sqs_backends

from .gateway import INVALID, Env, handler_json, invoke_routed, outcome_failed
from .lambda_access import parse_function_arn

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
# Our checkpoint for a stream mapping lives on moto's mapping object, so a moto reset (which
# drops the mappings) also drops it: nothing of ours outlives the emulated account.
_STREAM_STATE = "_coldstart_stream_state"


@dataclass(frozen=True)
class Delivery:
    """One invocation of a mapping's function with one batch."""

    mapping_uuid: str
    function_arn: str
    source_arn: str
    record_ids: tuple[str, ...]  # SQS message ids, or stream sequence numbers
    result: str  # "success" | "partial" | "failure" | "discarded"
    failed_ids: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class DeliverySummary:
    rounds: int
    idle: bool  # the last round found nothing to deliver (False: max_rounds ran out)
    deliveries: tuple[Delivery, ...] = field(default_factory=tuple)

    @property
    def invocations(self) -> int:
        return len(self.deliveries)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "idle": self.idle,
            "invocations": self.invocations,
            "deliveries": [asdict(d) for d in self.deliveries],
        }


def deliver_events(env: Env, *, max_rounds: int = 50, settle: bool = False) -> DeliverySummary:
    """Poll every enabled SQS and DynamoDB-stream mapping once per round until a round
    delivers nothing (or `max_rounds` rounds ran).

    With `settle`, an idle round whose mapped queues still hold in-flight or delayed
    messages moves the clock to the moment the next one becomes visible and goes on, so
    retries and DLQ redrive play out in one call."""
    deliveries: list[Delivery] = []
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        delivered = False
        for mapping in _enabled_mappings(env):
            service = mapping._get_service_source_from_arn()
            if service.startswith("sqs"):
                delivery = _poll_queue(env, mapping)
            elif service == "dynamodb":
                delivery = _poll_stream(env, mapping)
            else:
                delivery = None  # Kinesis is not emulated
            if delivery is not None:
                deliveries.append(delivery)
                delivered = True
        if not delivered:
            if settle and _jump_to_next_visible(env):
                continue
            return DeliverySummary(rounds, True, tuple(deliveries))
    return DeliverySummary(rounds, False, tuple(deliveries))


def _enabled_mappings(env: Env) -> list[Any]:
    mappings = []
    for backend in list(lambda_backends[env.account_id].values()):
        mappings.extend(m for m in backend._event_source_mappings.values() if m.enabled)
    return mappings


def _target(mapping: Any) -> str:
    """The function ARN a mapping invokes. moto resolves an alias to its current version
    when the mapping is created; Lambda keeps the alias, so its later updates and its
    RoutingConfig weights apply to every batch. A name or version stays as moto stored it."""
    name = str(mapping.function_name or "")
    named = parse_function_arn(name) if name.startswith("arn:") else None
    qualifier = named.qualifier if named else name.partition(":")[2] or None
    stored = parse_function_arn(mapping.function_arn)
    if stored is None or not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return mapping.function_arn
    return f"{stored.arn}:{qualifier}"


# --- SQS -----------------------------------------------------------------------------------


def queue_for_arn(arn: str) -> Any | None:
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        return None
    return sqs_backends[parts[4]][parts[3]].queues.get(parts[5])


def _sqs_record(message: Any, queue: Any) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": message.sender_id,
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        attributes.update(
            {
                "SequenceNumber": message.sequence_number,
                "MessageGroupId": message.group_id,
                "MessageDeduplicationId": message.deduplication_id,
            }
        )
    message_attributes = {}
    for name, value in message.message_attributes.items():
        item: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = value["BinaryValue"]
        message_attributes[name] = item
    record = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    return record


def _poll_queue(env: Env, mapping: Any) -> Delivery | None:
    queue = queue_for_arn(mapping.event_source_arn)
    if queue is None:
        return None
    backend = sqs_backends[queue.account_id][queue.region]
    messages = backend.receive_message(
        queue.name, mapping.batch_size, 0, queue.visibility_timeout, ["All"]
    )
    if not messages:
        return None
    event = {"Records": [_sqs_record(m, queue) for m in messages]}
    outcome = invoke_routed(env, _target(mapping), json.dumps(event).encode(), None)
    ids = tuple(m.id for m in messages)
    failed = _failed_sqs_ids(mapping, outcome, set(ids))
    # Failed messages stay in flight: they come back when their visibility timeout ends on
    # the clock, with a higher ApproximateReceiveCount, and reach the DLQ after
    # maxReceiveCount receives (moto's receive_message does the redrive).
    for message in messages:
        if message.id not in failed:
            backend.delete_message(queue.name, message.receipt_handle)
    result = "success" if not failed else "failure" if len(failed) == len(ids) else "partial"
    return Delivery(
        mapping_uuid=mapping.uuid,
        function_arn=mapping.function_arn,
        source_arn=queue.queue_arn,
        record_ids=ids,
        result=result,
        failed_ids=tuple(i for i in ids if i in failed),
        detail=_detail(outcome) if outcome_failed(outcome) else "",
    )


def _detail(outcome: Any) -> str:
    error = handler_json(outcome.payload)
    if isinstance(error, dict):
        return f"{error.get('errorType')}: {error.get('errorMessage')}"
    return outcome.function_error or f"status {outcome.status}"


def _failed_sqs_ids(mapping: Any, outcome: Any, ids: set[str]) -> set[str]:
    """Which messages of the batch failed. A handler error fails the whole batch; with
    ReportBatchItemFailures the response names the failures, and a response Lambda cannot
    read (bad JSON, empty or unknown itemIdentifier) also fails the whole batch."""
    if outcome_failed(outcome):
        return ids
    if REPORT_BATCH_ITEM_FAILURES not in (mapping.function_response_types or []):
        return set()
    return _reported_failures(outcome.payload, ids)


def _reported_failures(payload: bytes, ids: set[str]) -> set[str]:
    response = handler_json(payload) if payload.strip() else None
    if response is INVALID:
        return ids
    if response is None or response == {}:
        return set()
    if not isinstance(response, dict):
        return ids
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return set()
    if not isinstance(failures, list):
        return ids
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in ids:
            return ids
        failed.add(identifier)
    return failed


def _jump_to_next_visible(env: Env) -> bool:
    """Advance the clock to when the next in-flight or delayed message of a mapped queue can
    be received; False when there is none."""
    now_ms = env.clock.now() * 1000
    upcoming = []
    for mapping in _enabled_mappings(env):
        queue = queue_for_arn(mapping.event_source_arn)
        if queue is None:
            continue
        for message in queue._messages:
            ready = max(message.visible_at, message.delayed_until)
            if ready >= now_ms:
                upcoming.append(ready)
    if not upcoming:
        return False
    env.clock.advance((min(upcoming) - now_ms) / 1000 + 0.001)
    return True


# --- DynamoDB streams ----------------------------------------------------------------------


def table_for_stream(arn: str) -> Any | None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "dynamodb":
        return None
    backend = dynamodb_backends[parts[4]][parts[3]]
    for table in backend.tables.values():
        if table.stream_shard is not None and arn == (
            f"{table.table_arn}/stream/{table.latest_stream_label}"
        ):
            return table
    return None


def init_stream_position(mapping: Any) -> None:
    """Where a new mapping starts reading: TRIM_HORIZON from the oldest record kept, LATEST
    after the records already written."""
    table = table_for_stream(mapping.event_source_arn)
    if table is None:
        return
    shard = table.stream_shard
    start = len(shard.items) if mapping.starting_position == "LATEST" else 0
    setattr(mapping, _STREAM_STATE, {"shard": shard, "position": start, "failures": 0, "limit": 0})


def _stream_record(item: Any, region: str, source_arn: str) -> dict[str, Any]:
    record = item.to_json()
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):
        dynamodb["ApproximateCreationDateTime"] = int(unix_time(created))
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": source_arn,
    }


def _poll_stream(env: Env, mapping: Any) -> Delivery | None:
    table = table_for_stream(mapping.event_source_arn)
    if table is None:
        return None
    shard = table.stream_shard
    state = getattr(mapping, _STREAM_STATE, None)
    if state is None or state["shard"] is not shard:
        # A mapping from before our hooks, or a stream turned off and on again.
        state = {"shard": shard, "position": 0, "failures": 0, "limit": 0}
        setattr(mapping, _STREAM_STATE, state)
    limit = state["limit"] or mapping.batch_size
    batch = shard.items[state["position"] : state["position"] + limit]
    if not batch:
        return None
    records = [_stream_record(item, table.region_name, mapping.event_source_arn) for item in batch]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    outcome = invoke_routed(
        env, mapping.function_arn, json.dumps({"Records": records}).encode(), None
    )
    if outcome_failed(outcome):
        failed_from = 0
    elif REPORT_BATCH_ITEM_FAILURES in (mapping.function_response_types or []):
        reported = _reported_failures(outcome.payload, set(sequence))
        # Lambda checkpoints before the lowest failed sequence number and retries from it.
        failed_from = min((sequence.index(s) for s in reported), default=len(batch))
    else:
        failed_from = len(batch)
    delivery_args = {
        "mapping_uuid": mapping.uuid,
        "function_arn": mapping.function_arn,
        "source_arn": mapping.event_source_arn,
        "record_ids": tuple(sequence),
    }
    if failed_from == len(batch):
        state.update(position=state["position"] + len(batch), failures=0, limit=0)
        return Delivery(**delivery_args, result="success")
    state["position"] += failed_from
    failed = tuple(sequence[failed_from:])
    result = "failure" if failed_from == 0 else "partial"
    detail = _detail(outcome) if outcome_failed(outcome) else ""
    if mapping.bisect_on_error and failed_from == 0 and len(batch) > 1:
        # Split and retry the first half; a split does not use up a retry.
        state["limit"] = math.ceil(len(batch) / 2)
        return Delivery(**delivery_args, result=result, failed_ids=failed, detail=detail)
    state["failures"] += 1
    retries = mapping.max_retry_attempts
    if retries is not None and int(retries) >= 0 and state["failures"] > int(retries):
        remaining = len(batch) - failed_from
        state.update(position=state["position"] + remaining, failures=0, limit=0)
        _send_to_on_failure(env, mapping, table, sequence[failed_from:])
        return Delivery(**delivery_args, result="discarded", failed_ids=failed, detail=detail)
    return Delivery(**delivery_args, result=result, failed_ids=failed, detail=detail)


def _send_to_on_failure(env: Env, mapping: Any, table: Any, sequence: list[str]) -> None:
    """Discarded stream records leave an invocation record on an SQS on-failure
    destination, as Lambda does (the records themselves are not included)."""
    destination = ((mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
    queue = queue_for_arn(destination) if destination else None
    if queue is None:
        return
    document = {
        "requestContext": {
            "functionArn": mapping.function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": int(mapping.max_retry_attempts) + 1,
        },
        "version": "1.0",
        "timestamp": datetime.datetime.fromtimestamp(env.clock.now(), datetime.UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": table.stream_shard.id,
            "startSequenceNumber": sequence[0],
            "endSequenceNumber": sequence[-1],
            "batchSize": len(sequence),
            "streamArn": mapping.event_source_arn,
        },
    }
    sqs_backends[queue.account_id][queue.region].send_message(queue.name, json.dumps(document))
