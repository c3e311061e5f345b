"""UpdateMethod for REST APIs, which moto 5.2.5 lacks (it answers every call with
NotImplementedError, seen by boto3 as InternalFailure). Tutorials attach an authorizer to an
existing method this way, so the common patch paths are applied to moto's Method."""

from __future__ import annotations

import copy
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, Method

AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
_SCALAR_PATHS = {
    "/authorizationType": "authorization_type",
    "/authorizerId": "authorizer_id",
    "/operationName": "operation_name",
    "/requestValidatorId": "request_validator_id",
}
_MAP_PATHS = {"/requestParameters/": "request_parameters", "/requestModels/": "request_models"}


def _invalid(op: dict[str, Any]) -> BadRequestException:
    return BadRequestException(f"Invalid patch path {op.get('path')}")


def _apply(method: Method, op: dict[str, Any]) -> None:
    kind, path, value = op.get("op"), str(op.get("path") or ""), op.get("value")
    if path in _SCALAR_PATHS and kind == "replace":
        setattr(method, _SCALAR_PATHS[path], value)
    elif path == "/apiKeyRequired" and kind == "replace":
        method.api_key_required = str(value).lower() == "true"
    elif path == "/authorizationScopes" and kind in ("add", "remove"):
        scopes = [s for s in method.authorization_scopes or [] if s != value]
        method.authorization_scopes = [*scopes, value] if kind == "add" else scopes or None
    elif any(path.startswith(prefix) for prefix in _MAP_PATHS) and kind in (
        "add",
        "replace",
        "remove",
    ):
        prefix = next(p for p in _MAP_PATHS if path.startswith(p))
        attribute, key = _MAP_PATHS[prefix], path.removeprefix(prefix).replace("~1", "/")
        entries = dict(getattr(method, attribute) or {})
        if kind == "remove":
            entries.pop(key, None)
        elif attribute == "request_parameters":
            entries[key] = str(value).lower() == "true"
        else:
            entries[key] = value
        setattr(method, attribute, entries)
    else:
        raise _invalid(op)


def update_method(
    backend: APIGatewayBackend,
    api_id: str,
    resource_id: str,
    method_type: str,
    patch_operations: list[dict[str, Any]] | None,
) -> Method:
    """Apply `patch_operations` to a method, all or nothing, with API Gateway's rules for
    authorizers: switching to CUSTOM or COGNITO_USER_POOLS needs an `/authorizerId` of this
    API in the same request, and an `/authorizerId` sent for a method that keeps NONE or
    AWS_IAM is ignored (so attaching one takes both operations in one call)."""
    api = backend.get_rest_api(api_id)
    method = backend.get_method(api_id, resource_id, method_type)
    operations = list(patch_operations or [])
    sets = {
        op.get("path"): op.get("value") for op in operations if op.get("op") in ("add", "replace")
    }
    new_type = sets.get("/authorizationType", method.authorization_type)
    if new_type not in AUTHORIZATION_TYPES:
        raise BadRequestException(
            f"Invalid authorization type {new_type!r}: one of {', '.join(AUTHORIZATION_TYPES)}"
        )
    needs_authorizer = new_type in ("CUSTOM", "COGNITO_USER_POOLS")
    if "/authorizationType" in sets and needs_authorizer:
        if sets.get("/authorizerId") not in api.authorizers:
            raise BadRequestException(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                "COGNITO_USER_POOLS requires a valid authorizer."
            )
    elif "/authorizerId" in sets and method.authorization_type not in (
        "CUSTOM",
        "COGNITO_USER_POOLS",
    ):
        operations = [op for op in operations if op.get("path") != "/authorizerId"]
    patched = copy.copy(method)
    for op in operations:
        _apply(patched, op)
    method.__dict__.update(patched.__dict__)
    return method
