"""Weighted aliases: calls the emulated AWS makes through an alias with RoutingConfig go to
one of its versions, drawn from the emulation's seeded random numbers."""

from __future__ import annotations

from collections import Counter

from labs.sandbox.emulation import Emulation, install

from .conftest import FakeLambda, allow_apigateway, client, create_function
from .test_rest_api import RestApi


def _greeter(lambdas: FakeLambda, weights: dict[str, float] | None) -> str:
    """Function greeter with versions 1 and 2 and alias live -> 1 (+ weights); its ARN."""
    arn = create_function(lambdas, "greeter", lambda event: {"statusCode": 200, "body": "hi"})
    lam = client("lambda")
    lam.publish_version(FunctionName="greeter")
    lam.update_function_configuration(FunctionName="greeter", Description="second")
    lam.publish_version(FunctionName="greeter")
    routing = {"RoutingConfig": {"AdditionalVersionWeights": weights}} if weights else {}
    lam.create_alias(FunctionName="greeter", Name="live", FunctionVersion="1", **routing)
    return arn


def _api_on_alias(arn: str) -> RestApi:
    allow_apigateway("greeter")
    api = RestApi()
    api.proxy("/hello", "GET", f"{arn}:live")
    api.deploy()
    return api


def test_weighted_alias_behind_api_gateway_splits_calls_between_versions(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    api = _api_on_alias(_greeter(lambdas, {"2": 0.25}))

    statuses = {emu.http("GET", api.url("/hello")).status for _ in range(200)}

    versions = Counter(qualifier for _, qualifier in lambdas.targets)
    assert statuses == {200}
    assert set(versions) == {"1", "2"}
    assert 30 <= versions["2"] <= 70, versions  # a fixed seed: the same count every run


def test_the_same_seed_routes_the_same_way_and_another_seed_differently(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    api = _api_on_alias(_greeter(lambdas, {"2": 0.5}))

    def routes(seed: str | int) -> list[str | None]:
        lambdas.targets.clear()
        again = install(lambdas, emu.clock, seed=seed)
        for _ in range(40):
            again.http("GET", api.url("/hello"))
        return [qualifier for _, qualifier in lambdas.targets]

    first, second, other = routes("run"), routes("run"), routes(7)

    assert first == second
    assert first != other
    assert set(first) == set(other) == {"1", "2"}


def test_alias_without_weights_is_passed_through_as_the_alias(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    api = _api_on_alias(_greeter(lambdas, None))

    emu.http("GET", api.url("/hello"))

    assert lambdas.targets == [("greeter", "live")]
    assert emu.alias_target("greeter", "live") == ("greeter", "live")
    assert emu.alias_target("greeter") == ("greeter", None)


def test_event_source_mapping_on_a_weighted_alias_invokes_a_version(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = _greeter(lambdas, {"2": 1.0})  # everything to version 2
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    client("lambda").create_event_source_mapping(
        FunctionName=f"{arn}:live", EventSourceArn=queue_arn
    )
    sqs.send_message(QueueUrl=url, MessageBody="x")

    summary = emu.deliver_events()

    assert [d.result for d in summary.deliveries] == ["success"]
    assert lambdas.targets == [("greeter", "2")]


def test_alias_target_serves_the_direct_invoke_path(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = _greeter(lambdas, {"2": 1.0})

    assert emu.alias_target("greeter", "live") == (arn, "2")
    assert emu.alias_target(f"{arn}:live") == (arn, "2")
    assert emu.alias_target("greeter", "1") == ("greeter", "1")
    assert emu.alias_target("missing", "live") == ("missing", "live")


def test_reseed_restarts_the_draws(emu: Emulation, lambdas: FakeLambda) -> None:
    _greeter(lambdas, {"2": 0.5})

    def draws() -> list[str | None]:
        return [emu.alias_target("greeter", "live")[1] for _ in range(30)]

    emu.reseed("checks")
    first = draws()
    emu.reseed("checks")

    assert draws() == first
    assert set(first) == {"1", "2"}
