"""Routing a request to an HTTP API (API Gateway v2) stored in moto: stage (named or
`$default`), route selection, JWT or Lambda authorizer, then the AWS_PROXY integration with
payload format 2.0 or 1.0."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from moto.apigatewayv2.models import Api

from .gateway import (
    INVALID,
    Env,
    GatewayRequest,
    HttpResponse,
    call_function,
    error_message,
    execute_api_arn,
    handler_json,
    json_response,
    match_template,
    outcome_failed,
    parse_proxy_v1_response,
    policy_decision,
    proxy_v1_event,
    specificity,
)
from .lambda_access import function_from_integration_uri
from .tokens import (
    TokenRejected,
    audience_of,
    bearer_token,
    pool_from_issuer,
    scopes_of,
    verify_cognito_token,
)


def _error(status: int, message: str) -> HttpResponse:
    return json_response(status, {"message": message})


def not_found() -> HttpResponse:
    return _error(404, "Not Found")


def unauthorized() -> HttpResponse:
    return _error(401, "Unauthorized")


def forbidden() -> HttpResponse:
    return _error(403, "Forbidden")


def internal_error() -> HttpResponse:
    return _error(500, "Internal Server Error")


@dataclass
class _Route:
    api: Api
    stage_name: str
    stage: Any
    route: Any
    path: str  # below the stage
    template: str | None  # "/items/{id}"; None for $default
    path_parameters: dict[str, str]

    @property
    def stage_variables(self) -> dict[str, str]:
        return dict(self.stage.stage_variables or {})

    @property
    def raw_path(self) -> str:
        # AWS keeps a named stage in rawPath; only $default has none to keep.
        return self.path if self.stage_name == "$default" else f"/{self.stage_name}{self.path}"


def handle(env: Env, api: Api, req: GatewayRequest) -> HttpResponse:
    route = _route(api, req)
    if route is None:
        return not_found()
    auth = _authorize(env, route, req)
    if isinstance(auth, HttpResponse):
        return auth
    return _integrate(env, route, req, auth or {})


def _route(api: Api, req: GatewayRequest) -> _Route | None:
    segments = [s for s in req.path.split("/") if s]
    if segments and segments[0] != "$default" and segments[0] in api.stages:
        stage_name, rest = segments[0], segments[1:]
    elif "$default" in api.stages:
        stage_name, rest = "$default", segments
    else:
        return None
    candidates = []
    default_route = None
    for route in api.routes.values():
        if route.route_key == "$default":
            default_route = route
            continue
        method, _, template = route.route_key.partition(" ")
        if method not in (req.method, "ANY"):
            continue
        template_segments = [s for s in template.split("/") if s]
        params = match_template(template_segments, rest)
        if params is not None:
            key = (specificity(template_segments), method == "ANY")
            candidates.append((key, route, template, params))
    path = "/" + "/".join(rest)
    stage = api.stages[stage_name]
    if candidates:
        _, route, template, params = min(candidates, key=lambda c: c[0])
        return _Route(api, stage_name, stage, route, path, template, params)
    if default_route is not None:
        return _Route(api, stage_name, stage, default_route, path, None, {})
    return None


def _route_key(route: _Route) -> str:
    return route.route.route_key


def _route_arn(env: Env, route: _Route, req: GatewayRequest) -> str:
    if route.template is None:
        return execute_api_arn(req, env.account_id, f"{route.stage_name}/$default")
    return execute_api_arn(req, env.account_id, f"{route.stage_name}/{req.method}{route.path}")


def _source_arns(env: Env, route: _Route, req: GatewayRequest) -> list[str]:
    """Source ARNs a permission may name for this call: the route ARN, the request path
    and the route template, with the request method or the route's (ANY)."""
    arns = [_route_arn(env, route, req)]
    method = route.route.route_key.split(" ", 1)[0] if route.template else req.method
    for m in {req.method, method}:
        for p in {route.path, route.template or route.path}:
            arns.append(execute_api_arn(req, env.account_id, f"{route.stage_name}/{m}{p}"))
    return arns


# --- authorization -------------------------------------------------------------------------


def _identity_value(source: str, req: GatewayRequest, route: _Route) -> str | None:
    source = source.strip()
    if source.startswith("$request.header."):
        return req.header(source.removeprefix("$request.header."))
    if source.startswith("$request.querystring."):
        values = req.query.get(source.removeprefix("$request.querystring."))
        return ",".join(values) if values else None
    if source.startswith("$stageVariables."):
        return route.stage_variables.get(source.removeprefix("$stageVariables."))
    return None


def _sources(authorizer: Any) -> list[str]:
    sources = authorizer.identity_source or []
    if isinstance(sources, str):
        sources = sources.split(",")
    return [s for s in sources if s.strip()]


def _authorize(env: Env, route: _Route, req: GatewayRequest) -> HttpResponse | dict | None:
    kind = route.route.authorization_type or "NONE"
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        # Signatures are not verified (documented); an unsigned call is refused as on AWS.
        return None if req.header("Authorization") else forbidden()
    authorizer = route.api.authorizers.get(route.route.authorizer_id or "")
    if authorizer is None:
        return internal_error()
    if kind == "JWT":
        return _jwt(env, route, req, authorizer)
    if kind == "CUSTOM":
        return _lambda_authorizer(env, route, req, authorizer)
    return internal_error()


def _config(config: dict[str, Any] | None, key: str) -> Any:
    config = config or {}
    return config.get(key, config.get(key[0].upper() + key[1:]))


def _jwt(env: Env, route: _Route, req: GatewayRequest, authorizer: Any) -> HttpResponse | dict:
    sources = _sources(authorizer) or ["$request.header.Authorization"]
    token = bearer_token(_identity_value(sources[0], req, route))
    if token is None:
        return unauthorized()
    issuer = str(_config(authorizer.jwt_config, "issuer") or "").rstrip("/")
    audiences = _config(authorizer.jwt_config, "audience") or []
    pool_ref = pool_from_issuer(issuer, env.account_id)
    if pool_ref is None:
        # Only moto's Cognito pools publish keys we can fetch without a network.
        return unauthorized()
    account_id, region, pool_id = pool_ref
    try:
        claims = verify_cognito_token(
            token, account_id=account_id, region=region, pool_id=pool_id, now=env.clock.now()
        )
    except TokenRejected:
        return unauthorized()
    if claims.get("iss") != issuer or not set(audience_of(claims)) & set(audiences):
        return unauthorized()
    required = route.route.authorization_scopes or []
    scopes = scopes_of(claims)
    if required and not set(required) & set(scopes):
        return forbidden()
    return {
        "jwt": {
            "claims": {k: _claim_text(v) for k, v in claims.items()},
            "scopes": scopes or None,
        }
    }


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


def _lambda_authorizer(
    env: Env, route: _Route, req: GatewayRequest, authorizer: Any
) -> HttpResponse | dict:
    ref = function_from_integration_uri(authorizer.authorizer_uri, route.stage_variables)
    if ref is None:
        return internal_error()
    sources = _sources(authorizer)
    values = [_identity_value(s, req, route) for s in sources]
    if any(v in (None, "") for v in values):
        return unauthorized()
    version = authorizer.auth_payload_format_version or "2.0"
    route_arn = _route_arn(env, route, req)
    if version == "2.0":
        event = _v2_event(env, route, req, {})
        for key in ("body", "isBase64Encoded"):
            event.pop(key, None)
        event = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": route_arn,
            "identitySource": values,
            **{k: v for k, v in event.items() if k != "version"},
        }
    else:
        event = _v1_event(env, route, req, {})
        for key in ("body", "isBase64Encoded"):
            event.pop(key, None)
        event = {
            "version": "1.0",
            "type": "REQUEST",
            "methodArn": route_arn,
            "identitySource": ",".join(v or "" for v in values),
            **event,
        }
    source_arn = execute_api_arn(req, env.account_id, f"authorizers/{authorizer.id}")
    outcome = call_function(env, ref, event, source_arns=[source_arn])
    if outcome is None:
        return internal_error()
    if outcome_failed(outcome):
        message = error_message(outcome)
        return unauthorized() if message == "Unauthorized" else internal_error()
    result = handler_json(outcome.payload)
    if not isinstance(result, dict):
        return internal_error()
    if version == "2.0" and authorizer.enable_simple_response:
        if not isinstance(result.get("isAuthorized"), bool):
            return internal_error()
        allowed = result["isAuthorized"]
    else:
        decision = policy_decision(result.get("policyDocument"), route_arn)
        if decision is None or "principalId" not in result:
            return internal_error()
        allowed = decision == "allow"
    if not allowed:
        return forbidden()
    context = result.get("context") or {}
    if not isinstance(context, dict):
        return internal_error()
    if version == "2.0":
        return {"lambda": context}
    principal = {"principalId": result["principalId"]} if "principalId" in result else {}
    return {**context, **principal}


# --- integration ---------------------------------------------------------------------------


def _v1_event(
    env: Env, route: _Route, req: GatewayRequest, authorizer: dict[str, Any]
) -> dict[str, Any]:
    context = {"authorizer": authorizer} if authorizer else {}
    event = proxy_v1_event(
        req,
        path=route.path,
        resource_path=route.template or "$default",
        path_parameters=route.path_parameters,
        stage=route.stage_name,
        stage_variables=route.stage_variables,
        account_id=env.account_id,
        resource_id=route.route.route_id,
        request_context=context,
    )
    event["requestContext"]["resourcePath"] = route.template or "$default"
    event["requestContext"]["routeKey"] = _route_key(route)
    return {"version": "1.0", **event}


def _v2_event(
    env: Env, route: _Route, req: GatewayRequest, authorizer: dict[str, Any]
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in req.headers.items():
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
    headers.setdefault("host", req.host)
    body, is_base64 = req.body_for_event()
    context: dict[str, Any] = {
        "accountId": env.account_id,
        "apiId": req.api_id,
        "domainName": req.host,
        "domainPrefix": req.api_id,
        "http": {
            "method": req.method,
            "path": route.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": "198.51.100.10",
            "userAgent": req.header("User-Agent") or "coldstart-grader",
        },
        "requestId": req.request_id,
        "routeKey": _route_key(route),
        "stage": route.stage_name,
        "time": req.request_time(),
        "timeEpoch": int(req.epoch * 1000),
    }
    if authorizer:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": _route_key(route),
        "rawPath": route.raw_path,
        "rawQueryString": req.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if req.query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in req.query.items()}
    event["requestContext"] = context
    if route.path_parameters:
        event["pathParameters"] = route.path_parameters
    if route.stage_variables:
        event["stageVariables"] = route.stage_variables
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = is_base64
    return event


def _integrate(
    env: Env, route: _Route, req: GatewayRequest, authorizer: dict[str, Any]
) -> HttpResponse:
    target = route.route.target or ""
    integration = route.api.integrations.get(target.removeprefix("integrations/"))
    if integration is None or integration.integration_type != "AWS_PROXY":
        # HTTP_PROXY and private integrations are not emulated (no network in the sandbox).
        return internal_error()
    ref = function_from_integration_uri(integration.integration_uri, route.stage_variables)
    if ref is None:
        return internal_error()
    version = integration.payload_format_version or "2.0"
    if version == "1.0":
        event = _v1_event(env, route, req, authorizer)
    else:
        event = _v2_event(env, route, req, authorizer)
    outcome = call_function(env, ref, event, source_arns=_source_arns(env, route, req))
    if outcome is None or outcome_failed(outcome):
        return internal_error()
    if version == "1.0":
        return parse_proxy_v1_response(outcome.payload) or internal_error()
    return _parse_v2_response(outcome.payload) or internal_error()


_STATUS = re.compile(r"^\d{3}$")


def _parse_v2_response(payload: bytes) -> HttpResponse | None:
    """Payload 2.0 results: an object with statusCode is a full response; any other valid
    JSON is taken as a 200 application/json body, as API Gateway infers it."""
    result = handler_json(payload)
    if result is INVALID:
        return None
    if not isinstance(result, dict) or "statusCode" not in result:
        return HttpResponse(200, {"Content-Type": "application/json"}, payload)
    status = result["statusCode"]
    if isinstance(status, str) and _STATUS.match(status):
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, dict):
        return None
    headers = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw_headers.items()}
    cookies = result.get("cookies") or []
    if cookies:
        headers["Set-Cookie"] = ", ".join(str(c) for c in cookies)
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
    return HttpResponse(status, headers, raw)
