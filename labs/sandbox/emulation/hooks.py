"""The places we hook into moto, installed once per process.

Each hook wraps a moto function and keeps moto's own work; what it adds reads the
currently installed emulation (its invoke function and clock) from `_active`. Every
hooked path is listed in HOOKED_PATHS and pinned by tests/labs/emulation/
test_moto_contract.py, so a moto upgrade that moves one fails loudly."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import moto.cognitoidp.models as cognito_models
import moto.sqs.models as sqs_models
from moto.apigateway.exceptions import ConflictException
from moto.apigateway.models import RestAPI
from moto.apigateway.responses import APIGatewayResponse
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.cognitoidp.models import CognitoIdpBackend
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.dynamodb.models.table import StreamShard
from moto.sqs.models import Queue

from . import cognito, event_sources, rest_deployments, rest_methods
from .gateway import Env

HOOKED_PATHS = (
    "moto.sqs.models.unix_time",
    "moto.sqs.models.unix_time_millis",
    "moto.sqs.models.Queue.add_message",
    "moto.awslambda.models.LambdaBackend.create_event_source_mapping",
    "moto.apigateway.models.RestAPI.create_deployment",
    "moto.apigateway.responses.APIGatewayResponse.put_method",
    "moto.dynamodb.models.table.StreamShard.add",
    "moto.cognitoidp.models.jwk",
    "moto.cognitoidp.models.CognitoIdpBackend.sign_up",
    "moto.cognitoidp.models.CognitoIdpBackend.admin_create_user",
    "moto.cognitoidp.models.CognitoIdpBackend.confirm_sign_up",
    "moto.cognitoidp.models.CognitoIdpBackend.admin_confirm_sign_up",
    "moto.cognitoidp.responses.CognitoIdpResponse.sign_up",
)
# Operations moto does not implement at all, which we add (always on: without them moto
# raises NotImplementedError, so there is no plain-moto behaviour to fall back to).
ADDED_PATHS = ("moto.apigateway.responses.APIGatewayResponse.update_method",)

_MARK = "_coldstart_hook"
_active: dict[str, Env] = {}


def active_env() -> Env | None:
    return _active.get("env")


def set_active(env: Env) -> None:
    _active["env"] = env


def clear_active() -> None:
    """With no active emulation every hook passes straight through to moto."""
    _active.pop("env", None)


def _wrap(owner: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = getattr(owner, name)
    if getattr(original, _MARK, False):
        return  # already ours: installing twice must not stack wrappers
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


def _add(owner: Any, name: str, function: Callable[..., Any]) -> None:
    existing = getattr(owner, name, None)
    if existing is not None and not getattr(existing, _MARK, False):
        # moto grew its own version: keep it (test_moto_contract names the path to drop).
        return
    setattr(function, _MARK, True)
    setattr(owner, name, function)


def install_hooks() -> None:
    """Wrap every path in HOOKED_PATHS once. Wrappers that change what moto does stay inert
    until set_active; the rest only record data (deployment snapshots, stream positions)."""
    _wrap(sqs_models, "unix_time", _clock_unix_time)
    _wrap(sqs_models, "unix_time_millis", _clock_unix_time_millis)
    _wrap(Queue, "add_message", _add_message_without_delivery)
    _wrap(LambdaBackend, "create_event_source_mapping", _checked_create_mapping)
    _wrap(StreamShard, "add", _record_without_delivery)
    _wrap(RestAPI, "create_deployment", _deployment_with_snapshot)
    _wrap(APIGatewayResponse, "put_method", _put_method_once)
    _add(APIGatewayResponse, "update_method", _update_method_response)
    if not getattr(cognito_models.jwk, "coldstart_cached", False):
        cognito_models.jwk = cognito.cached_jwk_module()
    _wrap(CognitoIdpBackend, "sign_up", _sign_up_with_trigger)
    _wrap(CognitoIdpBackend, "admin_create_user", _admin_create_with_trigger)
    _wrap(CognitoIdpBackend, "confirm_sign_up", _confirm_with_trigger)
    _wrap(CognitoIdpBackend, "admin_confirm_sign_up", _admin_confirm_with_trigger)
    _wrap(CognitoIdpResponse, "sign_up", _stash_sign_up_request)


# --- SQS time and delivery -----------------------------------------------------------------


def _clock_unix_time(original: Callable[..., float]) -> Callable[..., float]:
    # SQS visibility, delay and receive timestamps all derive from these two functions.
    def unix_time(dt: Any = None) -> float:
        env = active_env()
        if dt is not None or env is None:
            return original(dt)
        return env.clock.now()

    return unix_time


def _clock_unix_time_millis(original: Callable[..., float]) -> Callable[..., float]:
    def unix_time_millis(dt: Any = None) -> float:
        env = active_env()
        if dt is not None or env is None:
            return original(dt)
        return env.clock.now() * 1000.0

    return unix_time_millis


def _add_message_without_delivery(original: Callable[..., None]) -> Callable[..., None]:
    # moto invokes mapped functions inside SendMessage, one message at a time; hiding the
    # mappings for the call keeps the enqueueing and leaves delivery to our poller.
    def add_message(self: Queue, message: Any) -> None:
        if active_env() is None:
            return original(self, message)
        mappings = self.lambda_event_source_mappings
        self.lambda_event_source_mappings = {}
        try:
            original(self, message)
        finally:
            self.lambda_event_source_mappings = mappings

    return add_message


def _record_without_delivery(original: Callable[..., None]) -> Callable[..., None]:
    # Same for stream writes: the record is kept in the shard (never cleared, so
    # GetRecords still sees it) and our poller reads from its own checkpoint.
    def add(self: StreamShard, old: Any, new: Any) -> None:
        if active_env() is None:
            return original(self, old, new)
        mappings = self.table.lambda_event_source_mappings
        self.table.lambda_event_source_mappings = {}
        try:
            original(self, old, new)
        finally:
            self.table.lambda_event_source_mappings = mappings

    return add


def _checked_create_mapping(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        queue = event_sources.queue_for_arn(spec.get("EventSourceArn") or "")
        if queue is not None and spec.get("FunctionName") and active_env() is not None:
            try:
                function = self.get_function(spec["FunctionName"])
            except Exception:
                function = None  # moto's own call below reports the missing function
            if function is not None and int(queue.visibility_timeout) < int(function.timeout):
                raise InvalidParameterValueException(
                    f"Queue visibility timeout: {int(queue.visibility_timeout)} seconds is "
                    f"less than Function timeout: {int(function.timeout)} seconds"
                )
        mapping = original(self, spec)
        if mapping._get_service_source_from_arn() == "dynamodb":
            event_sources.init_stream_position(mapping)
        return mapping

    return create_event_source_mapping


# --- API Gateway (REST) ---------------------------------------------------------------------


def _deployment_with_snapshot(original: Callable[..., Any]) -> Callable[..., Any]:
    # moto's deployments copy nothing, so every later edit would be served at once; on AWS a
    # stage serves what its deployment captured until the API is deployed again (a classic
    # learner slip). Recording is harmless without an active emulation, so it always runs.
    def create_deployment(
        self: RestAPI, name: str, description: str, stage_variables: Any = None
    ) -> Any:
        previous = self.stages.get(name) if name else None
        deployment = original(self, name, description, stage_variables)
        rest_deployments.record(self, deployment)
        if previous is not None:
            # moto replaces an existing stage with a blank one (its variables and settings
            # lost); AWS only points the stage at the new deployment.
            previous.deployment_id = deployment.id
            previous.variables = {**(previous.variables or {}), **(stage_variables or {})}
            self.stages[name] = previous
        return deployment

    return create_deployment


def _put_method_once(original: Callable[..., Any]) -> Callable[..., Any]:
    # moto silently replaces an existing method; AWS refuses, and tutorials then switch to
    # UpdateMethod, which learners should meet here too. Only the PutMethod operation is
    # refused: moto's OpenAPI import calls the backend's put_method to merge methods.
    def put_method(self: APIGatewayResponse) -> Any:
        if active_env() is not None:
            parts = self.path.split("/")  # /restapis/{api}/resources/{resource}/methods/{m}
            resource = self.backend.get_resource(parts[2], parts[4])
            if parts[6] in resource.resource_methods:
                raise ConflictException("Method already exists for this resource")
        return original(self)

    return put_method


def _update_method_response(self: APIGatewayResponse) -> str:
    parts = self.path.split("/")  # /restapis/{api}/resources/{resource}/methods/{method}
    method = rest_methods.update_method(
        self.backend, parts[2], parts[4], parts[6], self._get_param("patchOperations")
    )
    return json.dumps(method.to_json())


# --- Cognito triggers ----------------------------------------------------------------------


def _pool_of_client(backend: CognitoIdpBackend, client_id: str) -> Any:
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


def _sign_up_with_trigger(original: Callable[..., Any]) -> Callable[..., Any]:
    def sign_up(
        self: CognitoIdpBackend,
        client_id: str,
        username: str,
        password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        user, details = original(self, client_id, username, password, attributes)
        env = active_env()
        if env is not None:
            cognito.pre_sign_up(env, _pool_of_client(self, client_id), user, client_id)
        return user, details

    return sign_up


def _admin_create_with_trigger(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_create_user(
        self: CognitoIdpBackend,
        user_pool_id: str,
        username: str,
        message_action: str,
        temporary_password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        user = original(
            self, user_pool_id, username, message_action, temporary_password, attributes
        )
        env = active_env()
        if env is not None and message_action != "RESEND":
            pool = self.describe_user_pool(user_pool_id)
            cognito.pre_sign_up(env, pool, user, None, admin=True)
        return user

    return admin_create_user


def _confirm_with_trigger(original: Callable[..., Any]) -> Callable[..., Any]:
    def confirm_sign_up(self: CognitoIdpBackend, client_id: str, username: str) -> Any:
        result = original(self, client_id, username)
        env = active_env()
        if env is not None:
            pool = _pool_of_client(self, client_id)
            cognito.post_confirmation(env, pool, self.admin_get_user(pool.id, username), client_id)
        return result

    return confirm_sign_up


def _admin_confirm_with_trigger(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_confirm_sign_up(self: CognitoIdpBackend, user_pool_id: str, username: str) -> Any:
        result = original(self, user_pool_id, username)
        env = active_env()
        if env is not None:
            pool = self.describe_user_pool(user_pool_id)
            cognito.post_confirmation(env, pool, self.admin_get_user(user_pool_id, username), None)
        return result

    return admin_confirm_sign_up


def _stash_sign_up_request(original: Callable[..., Any]) -> Callable[..., Any]:
    def sign_up(self: CognitoIdpResponse) -> Any:
        token = cognito.sign_up_request.set(
            {
                "ValidationData": self._get_param("ValidationData"),
                "ClientMetadata": self._get_param("ClientMetadata"),
            }
        )
        try:
            return original(self)
        finally:
            cognito.sign_up_request.reset(token)

    return sign_up
