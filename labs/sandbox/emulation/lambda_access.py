"""Finding the Lambda function behind an integration or trigger, and deciding whether its
resource policy lets a service (API Gateway, Cognito) invoke it, from moto's stored state."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Any

from moto.awslambda.models import lambda_backends

# arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/<function arn>/invocations
_INTEGRATION_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(.+)/invocations$"
)
_FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:"
    r"(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class FunctionRef:
    """A function named by ARN, split into what Lambda's API needs."""

    arn: str  # unqualified
    region: str
    account_id: str
    name: str
    qualifier: str | None

    @property
    def qualified_arn(self) -> str:
        return f"{self.arn}:{self.qualifier}" if self.qualifier else self.arn


def parse_function_arn(arn: str) -> FunctionRef | None:
    match = _FUNCTION_ARN.match(arn)
    if not match:
        return None
    unqualified = (
        f"arn:{match['partition']}:lambda:{match['region']}:{match['account']}:function:"
        f"{match['name']}"
    )
    return FunctionRef(
        arn=unqualified,
        region=match["region"],
        account_id=match["account"],
        name=match["name"],
        qualifier=match["qualifier"],
    )


def function_from_integration_uri(
    uri: str | None, stage_variables: dict[str, str] | None = None
) -> FunctionRef | None:
    """The function an AWS_PROXY integration (or authorizer) URI points at, with
    `${stageVariables.x}` substituted; HTTP APIs may also store a bare function ARN."""
    if not uri:
        return None
    variables = stage_variables or {}
    uri = _STAGE_VARIABLE.sub(lambda m: variables.get(m[1], ""), uri)
    match = _INTEGRATION_URI.match(uri)
    return parse_function_arn(match[1] if match else uri)


def get_function(ref: FunctionRef) -> Any | None:
    """moto's LambdaFunction for `ref`, or None when it (or the version/alias) is missing."""
    backend = lambda_backends[ref.account_id][ref.region]
    try:
        return backend.get_function(ref.arn, ref.qualifier)
    except Exception:  # moto raises UnknownFunctionException and friends
        return None


def resolve_alias(ref: FunctionRef, rng: random.Random) -> FunctionRef:
    """`ref` with a weighted alias replaced by the version this call goes to.

    moto ignores an alias's RoutingConfig and always runs the alias's primary version; Lambda
    sends each call to an additional version with its weight's probability. The draw comes
    from `rng` (seeded per emulation, so a run routes the same way every time). Anything else
    (no qualifier, a version, $LATEST, an alias without weights, an unknown alias) is
    returned unchanged."""
    qualifier = ref.qualifier
    if not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return ref
    try:
        alias = lambda_backends[ref.account_id][ref.region].get_alias(qualifier, ref.name)
    except Exception:  # moto raises UnknownAliasException / UnknownFunctionException
        return ref
    routing = alias.routing_config if isinstance(alias.routing_config, dict) else {}
    weights = routing.get("AdditionalVersionWeights") or {}
    if not isinstance(weights, dict) or not weights:
        return ref
    draw = rng.random()
    for version, weight in sorted(weights.items()):
        if draw < float(weight):
            return replace(ref, qualifier=str(version))
        draw -= float(weight)
    return replace(ref, qualifier=str(alias.function_version))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM-style matching: `*` spans any run of characters (including `/` and `:`), `?` one."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(p in ("*", service) for p in _as_list(principal.get("Service", [])))
    return principal == service


def _condition_holds(condition: dict[str, Any], source_arns: list[str], account_id: str) -> bool:
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            values = [str(v) for v in _as_list(expected)]
            key = key.lower()
            if key == "aws:sourcearn":
                candidates = source_arns
            elif key == "aws:sourceaccount":
                candidates = [account_id]
            else:
                # A condition key the caller does not send cannot be satisfied, as on AWS.
                return False
            like = operator in ("ArnLike", "StringLike")
            if not any(
                (wildcard_match(v, c) if like else v == c) for v in values for c in candidates
            ):
                return False
    return True


def can_invoke(ref: FunctionRef, *, service: str, source_arns: list[str], account_id: str) -> bool:
    """Whether the function's resource policy allows `service` (for example
    "apigateway.amazonaws.com") to call lambda:InvokeFunction for any of `source_arns`.

    Several candidate source ARNs are accepted (the request path and the resource template,
    the actual method and ANY) because learners write either form and AWS accepts the
    wildcard patterns that cover both."""
    function = get_function(ref)
    if function is None:
        return False
    resources = {ref.arn, ref.qualified_arn, f"{ref.arn}:$LATEST"}
    for statement in getattr(function.policy, "statements", []):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = _as_list(statement.get("Action", []))
        if not any(wildcard_match(a, "lambda:InvokeFunction", ignore_case=True) for a in actions):
            continue
        if not _principal_matches(statement.get("Principal"), service):
            continue
        patterns = _as_list(statement.get("Resource", ref.arn))
        if not any(wildcard_match(p, r) for p in patterns for r in resources):
            continue
        if _condition_holds(statement.get("Condition", {}), source_arns, account_id):
            return True
    return False
