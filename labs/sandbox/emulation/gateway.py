"""Pieces shared by the REST and HTTP API routers: the request and response types, the
Lambda proxy payload format 1.0, calling a function the way API Gateway does (permission
first), and evaluating the IAM policy a Lambda authorizer returns."""

from __future__ import annotations

import base64
import datetime
import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from labs.sandbox.contracts import InvokeFn, InvokeOutcome

from .clock import Clock
from .lambda_access import (
    FunctionRef,
    can_invoke,
    get_function,
    parse_function_arn,
    resolve_alias,
    wildcard_match,
)

APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


class NotAnApiUrl(ValueError):
    """The URL is not an execute-api endpoint of an API in the emulated account (on AWS the
    host name would not even resolve)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


def json_response(
    status: int, document: Any, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
        body=json.dumps(document, separators=(",", ":")).encode(),
    )


# Weighted aliases are resolved with a random.Random seeded with this unless install() is
# given another seed, so the same submission is routed the same way in every run.
DEFAULT_ROUTING_SEED = "coldstart-alias-routing"


@dataclass(frozen=True)
class Env:
    """What a router needs from the emulation: whose account, how to run a function, when,
    and the random draws for weighted aliases."""

    account_id: str
    invoke: InvokeFn
    clock: Clock
    rng: random.Random = field(default_factory=lambda: seeded_rng(DEFAULT_ROUTING_SEED))


def seeded_rng(seed: int | str) -> random.Random:
    # Reproducible traffic splitting, not security: a seeded PRNG is what we want.
    return random.Random(seed)  # noqa: S311


def invoke_routed(env: Env, function: str, payload: bytes, qualifier: str | None) -> InvokeOutcome:
    """`env.invoke` for a call the emulated AWS makes itself (API Gateway, a Cognito trigger,
    an event source mapping). A function named through an alias with RoutingConfig weights is
    sent to the version the draw picks, as (unqualified ARN, version); every other call
    reaches `invoke` exactly as given."""
    ref = parse_function_arn(function)
    if ref is not None:
        named = replace(ref, qualifier=qualifier or ref.qualifier)
        target = resolve_alias(named, env.rng)
        if target != named:
            return env.invoke(target.arn, payload, target.qualifier)
    return env.invoke(function, payload, qualifier)


@dataclass
class GatewayRequest:
    method: str
    api_id: str
    region: str
    path: str  # decoded, starts with "/", no trailing slash except for the root
    raw_path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes | None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    epoch: float = 0.0

    @property
    def host(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def body_for_event(self) -> tuple[str | None, bool]:
        """(body, isBase64Encoded): text stays text; bytes that are not UTF-8 go base64."""
        if self.body is None:
            return None, False
        try:
            return self.body.decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(self.body).decode(), True

    def request_time(self) -> str:
        moment = datetime.datetime.fromtimestamp(self.epoch, datetime.UTC)
        return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")

    def single_query(self) -> dict[str, str] | None:
        return {k: v[-1] for k, v in self.query.items()} or None


def parse_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: str | bytes | Mapping[str, Any] | list[Any] | None,
    now: float,
) -> GatewayRequest:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if len(labels) != 5 or labels[1] != "execute-api" or labels[3:] != ["amazonaws", "com"]:
        raise NotAnApiUrl(
            f"{url!r} is not an API Gateway URL; expected "
            "https://{api_id}.execute-api.{region}.amazonaws.com/..."
        )
    if isinstance(body, Mapping | list):
        body = json.dumps(body)
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    raw_path = parts.path or "/"
    path = "/" + "/".join(s for s in unquote(raw_path).split("/") if s)
    return GatewayRequest(
        method=method.upper(),
        api_id=labels[0],
        region=labels[2],
        path=path,
        raw_path=raw_path,
        raw_query=parts.query,
        query=query,
        headers=dict(headers or {}),
        body=body.encode() if isinstance(body, str) else body,
        epoch=now,
    )


def match_template(template_segments: list[str], path_segments: list[str]) -> dict[str, str] | None:
    """Path parameters when the path matches a template like ["items", "{id}"] or
    ["{proxy+}"] (greedy, one segment or more), else None."""
    params: dict[str, str] = {}
    for index, part in enumerate(template_segments):
        if part.startswith("{") and part.endswith("+}"):
            rest = path_segments[index:]
            if not rest or index != len(template_segments) - 1:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(path_segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = path_segments[index]
        elif part != path_segments[index]:
            return None
    return params if len(template_segments) == len(path_segments) else None


def specificity(template_segments: list[str]) -> tuple[int, ...]:
    """Sort key: literal segments beat {param}, which beats {greedy+}, position by position."""
    kinds = []
    for part in template_segments:
        if part.endswith("+}"):
            kinds.append(2)
        elif part.startswith("{"):
            kinds.append(1)
        else:
            kinds.append(0)
    return (*kinds, 3)  # a longer literal prefix sorts first; the 3 ends each key


def proxy_v1_event(
    req: GatewayRequest,
    *,
    path: str,
    resource_path: str,
    path_parameters: dict[str, str],
    stage: str,
    stage_variables: dict[str, str],
    account_id: str,
    resource_id: str,
    request_context: dict[str, Any],
) -> dict[str, Any]:
    """The Lambda proxy integration event, payload format 1.0 (REST APIs, and HTTP API
    integrations that ask for 1.0). `path` is below the stage; the request context keeps
    the full URL path."""
    body, is_base64 = req.body_for_event()
    headers = dict(req.headers)
    headers.setdefault("Host", req.host)
    context = {
        "resourceId": resource_id,
        "resourcePath": resource_path,
        "httpMethod": req.method,
        "extendedRequestId": req.request_id[:16],
        "requestTime": req.request_time(),
        "path": req.path,
        "accountId": account_id,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": req.api_id,
        "requestTimeEpoch": int(req.epoch * 1000),
        "requestId": req.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": "198.51.100.10",
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": req.header("User-Agent") or "coldstart-grader",
            "user": None,
        },
        "domainName": req.host,
        "apiId": req.api_id,
        **request_context,
    }
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": req.single_query(),
        "multiValueQueryStringParameters": dict(req.query) or None,
        "pathParameters": path_parameters or None,
        "stageVariables": stage_variables or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


_V1_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


def parse_proxy_v1_response(payload: bytes) -> HttpResponse | None:
    """The HTTP response a payload-1.0 proxy result describes, or None when it is malformed
    (not a JSON object, no integer statusCode, a non-string body, unknown keys...), which
    API Gateway answers with 502 (REST) or 500 (HTTP APIs)."""
    result = handler_json(payload)
    if not isinstance(result, dict) or not set(result) <= _V1_RESPONSE_KEYS:
        return None
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    headers: dict[str, str] = {}
    raw_headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(raw_headers, dict) or not isinstance(multi, dict):
        return None
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        headers[name] = ", ".join(_scalar_text(v) for v in values)
    for name, value in raw_headers.items():
        if isinstance(value, dict | list):
            return None
        headers[name] = _scalar_text(value)
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        return None
    raw = (body or "").encode()
    if result.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(raw, validate=True)
        except ValueError:
            return None
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return HttpResponse(status=status, headers=headers, body=raw)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


INVALID = object()  # what handler_json returns for output that is not JSON


def handler_json(payload: bytes) -> Any:
    """A function's output parsed as JSON, or INVALID. Learner code writes this output, so
    anything it can produce (bad UTF-8, nesting deep enough to exhaust the parser's
    recursion) must end as INVALID, never as an exception in the grader."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return INVALID


def error_message(outcome: InvokeOutcome) -> Any:
    """The errorMessage of a failed invocation's error document, if it has one."""
    document = handler_json(outcome.payload)
    return document.get("errorMessage") if isinstance(document, dict) else None


def outcome_failed(outcome: InvokeOutcome) -> bool:
    return outcome.status != 200 or outcome.function_error is not None


def call_function(
    env: Env, ref: FunctionRef, event: dict[str, Any], *, source_arns: list[str]
) -> InvokeOutcome | None:
    """Invoke `ref` as API Gateway would: None when the function does not exist or its
    resource policy does not let API Gateway call it from `source_arns` (AWS then answers
    500 without running the function)."""
    if get_function(ref) is None:
        return None
    if not can_invoke(
        ref, service=APIGATEWAY_PRINCIPAL, source_arns=source_arns, account_id=env.account_id
    ):
        return None
    return invoke_routed(env, ref.arn, json.dumps(event).encode(), ref.qualifier)


def execute_api_arn(req: GatewayRequest, account_id: str, tail: str) -> str:
    return f"arn:aws:execute-api:{req.region}:{account_id}:{req.api_id}/{tail}"


def policy_decision(policy: Any, resource_arn: str) -> str | None:
    """ "allow", "deny" (an explicit Deny matches), "implicit" (nothing matches) or None when
    the policy document is malformed."""
    if not isinstance(policy, dict):
        return None
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            return None
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            return None
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(wildcard_match(str(a), "execute-api:Invoke", ignore_case=True) for a in actions):
            continue
        resources = statement.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if not any(wildcard_match(str(r), resource_arn) for r in resources):
            continue
        if effect == "Deny":
            return "deny"
        allowed = True
    return "allow" if allowed else "implicit"
