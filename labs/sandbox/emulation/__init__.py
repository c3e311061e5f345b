"""What moto lacks for our labs, built on moto's stored state: API Gateway request routing
and authorizers (REST and HTTP APIs), SQS and DynamoDB-stream pollers driven by a
controllable clock, Cognito triggers, and a cache that makes CreateUserPool cheap.

Call `install(invoke)` once in each trusted host process, inside an active `mock_aws`,
before learner code runs; see docs/EMULATION.md for what is reproduced and what is not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from moto.apigateway.models import apigateway_backends
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from labs.sandbox.contracts import InvokeFn

from . import cognito, event_sources, http_api, rest_api
from .clock import Clock
from .event_sources import Delivery, DeliverySummary
from .gateway import (
    DEFAULT_ROUTING_SEED,
    Env,
    HttpResponse,
    NotAnApiUrl,
    parse_request,
    seeded_rng,
)
from .hooks import clear_active, install_hooks, set_active
from .lambda_access import parse_function_arn, resolve_alias
from .tokens import pool_jwks

__all__ = [
    "Clock",
    "Delivery",
    "DeliverySummary",
    "Emulation",
    "HttpResponse",
    "NotAnApiUrl",
    "deactivate",
    "install",
    "prewarm",
]


class Emulation:
    """The emulated account's extra behaviour. Create it through `install`."""

    def __init__(self, env: Env):
        self._env = env

    @property
    def clock(self) -> Clock:
        return self._env.clock

    @property
    def account_id(self) -> str:
        return self._env.account_id

    def http(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | Mapping[str, Any] | list[Any] | None = None,
    ) -> HttpResponse:
        """Send a request to an execute-api URL, answered as API Gateway would answer it
        (a dict or list body is sent as JSON). Raises NotAnApiUrl when the URL names no
        REST or HTTP API of this account."""
        req = parse_request(method, url, headers, body, self._env.clock.now())
        rest = apigateway_backends[self._env.account_id][req.region].apis.get(req.api_id)
        if rest is not None:
            return rest_api.handle(self._env, rest, req)
        v2 = apigatewayv2_backends[self._env.account_id][req.region].apis.get(req.api_id)
        if v2 is not None and v2.protocol_type == "HTTP":
            return http_api.handle(self._env, v2, req)
        raise NotAnApiUrl(
            f"no REST or HTTP API with id {req.api_id!r} in {req.region} "
            f"(account {self._env.account_id})"
        )

    def deliver_events(self, max_rounds: int = 50, *, settle: bool = False) -> DeliverySummary:
        """Run the SQS and DynamoDB-stream pollers until a round delivers nothing. With
        `settle=True` the clock also jumps over visibility timeouts and delays so retries
        and DLQ redrive finish within the call."""
        return event_sources.deliver_events(self._env, max_rounds=max_rounds, settle=settle)

    def advance_clock(self, seconds: float) -> None:
        self._env.clock.advance(seconds)

    def alias_target(self, function: str, qualifier: str | None = None) -> tuple[str, str | None]:
        """Where Lambda sends a call to `function` (name or ARN) and `qualifier`: for an alias
        with RoutingConfig weights, (unqualified ARN, the drawn version) from this
        emulation's seeded draws; otherwise the arguments unchanged. For the direct Invoke
        path, so it splits traffic the same way the emulation's own calls do."""
        arn = function
        if not function.startswith("arn:"):
            region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
            arn = f"arn:aws:lambda:{region}:{self._env.account_id}:function:{function}"
        ref = parse_function_arn(arn)
        if ref is None:
            return function, qualifier
        named = replace(ref, qualifier=qualifier or ref.qualifier)
        target = resolve_alias(named, self._env.rng)
        return (target.arn, target.qualifier) if target != named else (function, qualifier)

    def reseed(self, seed: int | str) -> None:
        """Restart the weighted-alias draws from `seed`. The grader does this before the
        checks, so what they observe through an alias does not depend on how many aliased
        calls the learner's own script made."""
        self._env.rng.seed(seed)

    def pool_jwks(self, pool_id: str, region: str | None = None) -> dict[str, Any]:
        """The public JWKS of a Cognito user pool, for verifying its tokens."""
        return pool_jwks(pool_id, account_id=self._env.account_id, region=region)


def install(
    invoke: InvokeFn,
    clock: Clock | None = None,
    *,
    account_id: str | None = None,
    seed: int | str = DEFAULT_ROUTING_SEED,
) -> Emulation:
    """Hook moto (once per process; calling again only swaps in the new invoke and clock)
    and return the emulation for this account. Must run where moto's `mock_aws` is active.

    `seed` starts the random draws that split traffic between the versions of a weighted
    alias; the default makes every run of a submission route alike (reproducible grades).

    Our state lives on moto's own objects or on the returned Emulation, so resetting moto's
    backends also resets everything the emulation knows."""
    install_hooks()
    env = Env(
        account_id=account_id or os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
        invoke=invoke,
        clock=clock or Clock(),
        rng=seeded_rng(seed),
    )
    set_active(env)
    return Emulation(env)


def deactivate() -> None:
    """Make the hooks pass straight through to moto again (delivery inside SendMessage and
    PutItem, real time for SQS, no Cognito triggers) until the next `install`. For test
    suites that share a process with code expecting plain moto; a grading host never needs
    it."""
    clear_active()


def prewarm() -> None:
    """Install the hooks (inert until `install`) and import moto's Cognito key into our
    cache, so processes forked afterwards start with both. Safe without an active mock."""
    install_hooks()
    cognito.warm_key_cache()
