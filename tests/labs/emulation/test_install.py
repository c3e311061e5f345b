"""install(): idempotent per process, leaves moto's reset working, drives SQS time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto.core.base_backend import BackendDict
from moto.sqs.models import Queue

from labs.sandbox.emulation import Clock, Emulation, deactivate, install
from labs.sandbox.emulation.hooks import ADDED_PATHS, HOOKED_PATHS

from .conftest import FakeLambda, client, create_function


def _resolve(path: str) -> Any:
    module_path, _, attribute = path.rpartition(".")
    try:
        owner: Any = __import__(module_path, fromlist=["x"])
    except ImportError:
        owner_path, _, owner_name = module_path.rpartition(".")
        owner = getattr(__import__(owner_path, fromlist=["x"]), owner_name)
    return getattr(owner, attribute)


@pytest.fixture
def deactivated() -> Iterator[None]:
    yield
    deactivate()


def test_installing_twice_keeps_one_layer_of_hooks_and_the_latest_invoke(
    aws: None, deactivated: None
) -> None:
    first, second = FakeLambda(), FakeLambda()
    install(first)
    emu = install(second)
    create_function(second, "worker", lambda event: None)
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn)
    sqs.send_message(QueueUrl=url, MessageBody="x")

    emu.deliver_events()

    assert (len(first.calls), len(second.calls)) == (0, 1)
    for path in ADDED_PATHS:
        assert getattr(_resolve(path), "_coldstart_hook", False), f"{path} was not added"
    for path in HOOKED_PATHS:
        hooked = _resolve(path)
        inner = getattr(hooked, "__wrapped__", None)
        assert not getattr(inner, "_coldstart_hook", False), f"{path} is wrapped twice"


def test_moto_reset_leaves_a_clean_account(
    emu: Emulation, lambdas: FakeLambda, deactivated: None
) -> None:
    create_function(lambdas, "worker", lambda event: None)
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn)
    sqs.send_message(QueueUrl=url, MessageBody="before reset")

    BackendDict.reset()
    fresh = install(lambdas, Clock())

    assert client("sqs").list_queues().get("QueueUrls", []) == []
    assert client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert fresh.deliver_events().invocations == 0
    assert lambdas.calls == []


def test_sqs_delay_follows_the_emulation_clock(emu: Emulation) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="later")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=60)

    early = sqs.receive_message(QueueUrl=url).get("Messages", [])
    emu.clock.advance(61)
    late = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30).get("Messages", [])
    hidden = sqs.receive_message(QueueUrl=url).get("Messages", [])
    emu.clock.advance(31)
    again = sqs.receive_message(QueueUrl=url).get("Messages", [])

    assert [len(early), len(late), len(hidden), len(again)] == [0, 1, 0, 1]
    assert again[0]["Body"] == "soon"


def test_deactivate_hands_sqs_time_and_cognito_back_to_plain_moto(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "pre", lambda event: event)
    idp = client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="p", LambdaConfig={"PreSignUp": arn})["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="c")["UserPoolClient"][
        "ClientId"
    ]
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="later")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=60)
    emu.clock.advance(61)

    apigw = client("apigateway")
    api_id = apigw.create_rest_api(name="plain")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")

    deactivate()
    idp.sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")
    # moto's own PutMethod replaces an existing method instead of answering ConflictException.
    apigw.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM"
    )

    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert lambdas.calls == []
    method = apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert method["authorizationType"] == "AWS_IAM"


def test_clock_only_moves_forward() -> None:
    clock = Clock()
    clock.advance(90)

    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    assert clock.offset == 90


def test_queue_hook_is_the_one_installed(emu: Emulation) -> None:
    assert getattr(Queue.add_message, "_coldstart_hook", False) is True


def test_prewarm_fills_the_key_cache_before_any_pool_exists(aws: None) -> None:
    from labs.sandbox.emulation import cognito, prewarm

    cognito._CachedRSAKey._cache.clear()
    prewarm()

    assert len(cognito._CachedRSAKey._cache) == 1
    pool_id = client("cognito-idp").create_user_pool(PoolName="p")["UserPool"]["Id"]
    from moto.cognitoidp.models import cognitoidp_backends

    key = cognitoidp_backends["123456789012"]["us-east-1"].user_pools[pool_id].json_web_key
    assert key is next(iter(cognito._CachedRSAKey._cache.values()))
