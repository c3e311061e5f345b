"""Cognito user pool Lambda triggers moto stores but never calls (PreSignUp,
PostConfirmation), and a cache for the RSA key moto re-imports for every new pool."""

from __future__ import annotations

import contextvars
import json
import types
from typing import Any

from joserfc import jwk
from moto.cognitoidp.models import UserStatus
from moto.core.exceptions import JsonRESTError
from moto.utilities.utils import load_resource

from .gateway import Env, error_message, handler_json, invoke_routed, outcome_failed
from .lambda_access import can_invoke, parse_function_arn

COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"

# SignUp's ValidationData and ClientMetadata reach the backend method only through the
# response handler, which stashes them here for the trigger.
sign_up_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "coldstart_sign_up_request", default=None
)


class UserLambdaValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("UserLambdaValidationException", message)


class UnexpectedLambdaException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("UnexpectedLambdaException", message)


class InvalidLambdaResponseException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidLambdaResponseException", message)


class _CachedRSAKey(jwk.RSAKey):
    """RSAKey whose import_key remembers dict inputs: moto imports the same bundled private
    key for every CreateUserPool, and checking an RSA private key costs 100-200 ms."""

    _cache: dict[str, jwk.RSAKey] = {}

    @classmethod
    def import_key(cls, data: Any, *args: Any, **kwargs: Any) -> jwk.RSAKey:  # type: ignore[override]
        if not isinstance(data, dict) or args or kwargs:
            return jwk.RSAKey.import_key(data, *args, **kwargs)
        marker = json.dumps(data, sort_keys=True)
        if marker not in cls._cache:
            cls._cache[marker] = jwk.RSAKey.import_key(data)
        return cls._cache[marker]


def warm_key_cache() -> None:
    """Import moto's bundled pool key now (in a parent process, so forked hosts inherit it)."""
    _CachedRSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def cached_jwk_module() -> types.ModuleType:
    """A stand-in for `joserfc.jwk` inside moto.cognitoidp.models: identical except RSAKey."""
    proxy = types.ModuleType("coldstart_cached_jwk")
    proxy.__dict__.update({k: v for k, v in vars(jwk).items() if not k.startswith("__")})
    proxy.RSAKey = _CachedRSAKey
    proxy.coldstart_cached = True
    return proxy


def _trigger_arn(pool: Any, name: str) -> str | None:
    config = pool.extended_config.get("LambdaConfig") or {}
    arn = config.get(name)
    return arn if isinstance(arn, str) and arn else None


def _flat(attributes: list[dict[str, str]] | None) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in attributes or [] if "Name" in a}


def _event(
    pool: Any,
    user: Any,
    client_id: str | None,
    trigger_source: str,
    request: dict[str, Any],
    response: dict[str, Any],
) -> dict[str, Any]:
    return {
        "version": "1",
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": user.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "triggerSource": trigger_source,
        "request": request,
        "response": response,
    }


def _run(env: Env, pool: Any, arn: str, event: dict[str, Any], trigger: str) -> dict[str, Any]:
    """Invoke a trigger as Cognito does: only when the function's resource policy lets
    cognito-idp.amazonaws.com invoke it for this pool (else, or when the function is gone,
    "<Trigger> invocation failed due to error AccessDeniedException."); its error or an
    unreadable answer fails the API call ("PreSignUp failed with error <message>.")."""
    ref = parse_function_arn(arn)
    if ref is None:
        raise InvalidLambdaResponseException(f"Invalid lambda function ARN {arn!r}")
    if not can_invoke(
        ref, service=COGNITO_PRINCIPAL, source_arns=[pool.arn], account_id=env.account_id
    ):
        raise UnexpectedLambdaException(
            f"{trigger} invocation failed due to error AccessDeniedException."
        )
    outcome = invoke_routed(env, ref.arn, json.dumps(event).encode(), ref.qualifier)
    if outcome_failed(outcome):
        message = error_message(outcome)
        raise UserLambdaValidationException(f"{trigger} failed with error {message}.")
    result = handler_json(outcome.payload)
    if not isinstance(result, dict):
        raise InvalidLambdaResponseException("Unrecognizable lambda output")
    return result


def pre_sign_up(
    env: Env, pool: Any, user: Any, client_id: str | None, *, admin: bool = False
) -> None:
    """Run PreSignUp for a user moto just created (UNCONFIRMED by SignUp, or
    FORCE_CHANGE_PASSWORD by AdminCreateUser when `admin`); apply autoConfirmUser (SignUp
    only) and autoVerifyEmail / autoVerifyPhone. On failure the user is removed again, so
    the call leaves nothing behind, as on AWS."""
    arn = _trigger_arn(pool, "PreSignUp")
    if arn is None:
        return
    extra = sign_up_request.get() or {}
    request: dict[str, Any] = {
        # The sub is assigned on creation; the trigger sees what the caller submitted.
        "userAttributes": {k: v for k, v in _flat(user.attributes).items() if k != "sub"},
        "validationData": _flat(extra.get("ValidationData")) or None,
    }
    if extra.get("ClientMetadata"):
        request["clientMetadata"] = extra["ClientMetadata"]
    event = _event(
        pool,
        user,
        client_id,
        "PreSignUp_AdminCreateUser" if admin else "PreSignUp_SignUp",
        request,
        {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    )
    try:
        result = _run(env, pool, arn, event, "PreSignUp")
    except JsonRESTError:
        pool.users.pop(user.username, None)
        raise
    response = result.get("response") or {}
    if response.get("autoConfirmUser") is True and not admin:
        user.status = UserStatus.CONFIRMED
    verified = []
    if response.get("autoVerifyEmail") is True and "email" in user.attribute_lookup:
        verified.append({"Name": "email_verified", "Value": "true"})
    if response.get("autoVerifyPhone") is True and "phone_number" in user.attribute_lookup:
        verified.append({"Name": "phone_number_verified", "Value": "true"})
    if verified:
        user.update_attributes(verified)


def post_confirmation(env: Env, pool: Any, user: Any, client_id: str | None) -> None:
    """Run PostConfirmation after a user was confirmed. AWS keeps the user confirmed when the
    trigger fails but the confirming call reports the error; so do we."""
    arn = _trigger_arn(pool, "PostConfirmation")
    if arn is None:
        return
    attributes = {"sub": user.id, **_flat(user.attributes), "cognito:user_status": "CONFIRMED"}
    request: dict[str, Any] = {"userAttributes": attributes}
    event = _event(pool, user, client_id, "PostConfirmation_ConfirmSignUp", request, {})
    _run(env, pool, arn, event, "PostConfirmation")
