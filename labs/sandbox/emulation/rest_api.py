"""Routing a request to a REST API (API Gateway v1) stored in moto: stage, resource tree,
method, API key, authorizer, then the AWS_PROXY or MOCK integration."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from moto.apigateway.models import RestAPI, apigateway_backends
from moto.cognitoidp.models import cognitoidp_backends

from .gateway import (
    Env,
    GatewayRequest,
    HttpResponse,
    call_function,
    error_message,
    execute_api_arn,
    handler_json,
    invoke_routed,
    json_response,
    outcome_failed,
    parse_proxy_v1_response,
    policy_decision,
    proxy_v1_event,
)
from .lambda_access import function_from_integration_uri
from .rest_deployments import DeployedApi, DeployedResource, served_by
from .tokens import (
    TokenRejected,
    audience_of,
    bearer_token,
    pool_from_arn,
    scopes_of,
    verify_cognito_token,
)


def _error(status: int, message: str | None, error_type: str, key: str = "message") -> HttpResponse:
    return json_response(status, {key: message}, {"x-amzn-ErrorType": error_type})


def missing_token() -> HttpResponse:
    return _error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def unauthorized() -> HttpResponse:
    return _error(401, "Unauthorized", "UnauthorizedException")


def forbidden() -> HttpResponse:
    return _error(403, "Forbidden", "ForbiddenException")


def internal_error() -> HttpResponse:
    return _error(500, "Internal server error", "InternalServerErrorException")


def bad_gateway() -> HttpResponse:
    return _error(502, "Internal server error", "InternalServerErrorException")


def authorizer_failure() -> HttpResponse:
    # AWS answers an authorizer it cannot run or understand with a null message.
    return _error(500, None, "AuthorizerConfigurationException")


@dataclass
class _Route:
    api: RestAPI
    deployed: DeployedApi  # what the stage's deployment captured
    stage_name: str
    stage: Any
    resource: DeployedResource
    method: Any
    path: str  # the request path below the stage, "/..."
    resource_path: str
    path_parameters: dict[str, str]

    @property
    def stage_variables(self) -> dict[str, str]:
        return dict(self.stage.variables or {})


def handle(env: Env, api: RestAPI, req: GatewayRequest) -> HttpResponse:
    route = _route(api, req)
    if route is None:
        return missing_token()
    method_arn = execute_api_arn(
        req, env.account_id, f"{route.stage_name}/{req.method}{route.path}"
    )
    auth = _authorize(env, route, req, method_arn)
    if isinstance(auth, HttpResponse):
        return auth
    authorizer_context, usage_key = auth or ({}, None)
    identity_extra: dict[str, Any] = {}
    if route.method.api_key_required:
        key = _valid_api_key(env, route, req, usage_key)
        if key is None:
            return forbidden()
        identity_extra = {"apiKey": key.value, "apiKeyId": key.id}
    return _integrate(env, route, req, authorizer_context, identity_extra)


def _route(api: RestAPI, req: GatewayRequest) -> _Route | None:
    segments = [s for s in req.path.split("/") if s]
    if not segments:
        return None
    stage_name, rest = segments[0], segments[1:]
    stage = api.stages.get(stage_name)
    deployment = api.deployments.get(stage.deployment_id) if stage is not None else None
    if deployment is None:
        return None
    # The stage serves its deployment's snapshot: resources, methods, integrations and
    # authorizers changed since then are not live until the API is deployed again.
    deployed = served_by(api, deployment)
    root = deployed.resources.get(deployed.root_id)
    if root is None:
        return None
    found = _match(deployed.children(), root, rest, {})
    if found is None:
        return None
    resource, params = found
    method = resource.methods.get(req.method) or resource.methods.get("ANY")
    if method is None:
        return None
    return _Route(
        api=api,
        deployed=deployed,
        stage_name=stage_name,
        stage=stage,
        resource=resource,
        method=method,
        path="/" + "/".join(rest),
        resource_path=resource.path,
        path_parameters=params,
    )


def _kind(resource: DeployedResource) -> int:
    part = resource.path_part
    if part.startswith("{") and part.endswith("+}"):
        return 2
    return 1 if part.startswith("{") else 0


def _match(
    children: dict[str | None, list[DeployedResource]],
    resource: DeployedResource,
    segments: list[str],
    params: dict[str, str],
) -> tuple[DeployedResource, dict[str, str]] | None:
    """Depth-first through the resource tree, literal children before {param} before
    {greedy+}, backtracking when a branch dead-ends (so /{proxy+} catches what /items
    cannot)."""
    if not segments:
        return resource, params
    for child in sorted(children.get(resource.id, []), key=_kind):
        part, kind = child.path_part, _kind(child)
        if kind == 2:
            return child, {**params, part[1:-2]: "/".join(segments)}
        if kind == 1:
            found = _match(children, child, segments[1:], {**params, part[1:-1]: segments[0]})
        elif part == segments[0]:
            found = _match(children, child, segments[1:], params)
        else:
            continue
        if found is not None:
            return found
    return None


def _source_arns(env: Env, route: _Route, req: GatewayRequest) -> list[str]:
    methods = {req.method, route.method.http_method}
    paths = {route.path, route.resource_path}
    return [
        execute_api_arn(req, env.account_id, f"{route.stage_name}/{m}{p}")
        for m in methods
        for p in paths
    ]


# --- authorization -------------------------------------------------------------------------

_IDENTITY_SOURCE = re.compile(r"^method\.request\.(header|querystring)\.(.+)$")


def _identity_value(source: str, req: GatewayRequest, route: _Route) -> str | None:
    source = source.strip()
    match = _IDENTITY_SOURCE.match(source)
    if match and match[1] == "header":
        return req.header(match[2])
    if match:
        values = req.query.get(match[2])
        return values[-1] if values else None
    if source.startswith("stageVariables."):
        return route.stage_variables.get(source.split(".", 1)[1])
    return None


def _authorize(
    env: Env, route: _Route, req: GatewayRequest, method_arn: str
) -> HttpResponse | tuple[dict[str, Any], str | None] | None:
    kind = route.method.authorization_type or "NONE"
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        # Signatures are not verified (documented); an unsigned call is refused as on AWS.
        return None if req.header("Authorization") else missing_token()
    authorizer = route.deployed.authorizers.get(route.method.authorizer_id or "")
    if authorizer is None:
        return internal_error()
    if kind == "COGNITO_USER_POOLS":
        return _cognito(env, route, req, authorizer)
    if kind == "CUSTOM":
        return _lambda_authorizer(env, route, req, authorizer, method_arn)
    return internal_error()


def _cognito(
    env: Env, route: _Route, req: GatewayRequest, authorizer: Any
) -> HttpResponse | tuple[dict[str, Any], str | None]:
    source = authorizer.identity_source or "method.request.header.Authorization"
    token = bearer_token(_identity_value(source, req, route))
    if token is None:
        return unauthorized()
    scopes = route.method.authorization_scopes or []
    for provider_arn in authorizer.provider_arns or []:
        pool_ref = pool_from_arn(provider_arn)
        if pool_ref is None:
            continue
        account_id, region, pool_id = pool_ref
        try:
            claims = verify_cognito_token(
                token, account_id=account_id, region=region, pool_id=pool_id, now=env.clock.now()
            )
        except TokenRejected:
            continue
        pool = cognitoidp_backends[account_id][region].user_pools[pool_id]
        if not any(aud in pool.clients for aud in audience_of(claims)):
            continue
        if scopes:
            # With scopes on the method, API Gateway wants an access token carrying one.
            if claims.get("token_use") != "access" or not set(scopes) & set(scopes_of(claims)):
                continue
        elif claims.get("token_use") != "id":
            continue
        return {"claims": {k: _claim_text(k, v) for k, v in claims.items()}}, None
    return unauthorized()


def _claim_text(name: str, value: Any) -> str:
    """REST APIs hand claims to the integration as strings, with exp and iat spelled out as
    dates ("Sat Jan 06 00:14:07 UTC 2024")."""
    if name in ("exp", "iat") and isinstance(value, int | float):
        moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
        return moment.strftime("%a %b %d %H:%M:%S UTC %Y")
    return value if isinstance(value, str) else json.dumps(value)


def _lambda_authorizer(
    env: Env, route: _Route, req: GatewayRequest, authorizer: Any, method_arn: str
) -> HttpResponse | tuple[dict[str, Any], str | None]:
    ref = function_from_integration_uri(authorizer.authorizer_uri, route.stage_variables)
    if ref is None:
        return authorizer_failure()
    sources = [s for s in (authorizer.identity_source or "").split(",") if s.strip()]
    if authorizer.type == "TOKEN":
        token = _identity_value(sources[0] if sources else "", req, route)
        if not token:
            return unauthorized()
        pattern = authorizer.identity_validation_expression
        if pattern and re.fullmatch(pattern, token) is None:
            return unauthorized()
        event: dict[str, Any] = {
            "type": "TOKEN",
            "methodArn": method_arn,
            "authorizationToken": token,
        }
    else:
        if any(_identity_value(s, req, route) in (None, "") for s in sources):
            return unauthorized()
        proxy = proxy_v1_event(
            req,
            path=route.path,
            resource_path=route.resource_path,
            path_parameters=route.path_parameters,
            stage=route.stage_name,
            stage_variables=route.stage_variables,
            account_id=env.account_id,
            resource_id=route.resource.id,
            request_context={},
        )
        event = {"type": "REQUEST", "methodArn": method_arn, **proxy}
        for key in ("body", "isBase64Encoded"):
            event.pop(key)
    source_arn = execute_api_arn(req, env.account_id, f"authorizers/{authorizer.id}")
    if authorizer.authorizer_credentials:
        # An invocation role replaces the resource policy; roles are not evaluated.
        outcome = invoke_routed(env, ref.arn, json.dumps(event).encode(), ref.qualifier)
    else:
        outcome = call_function(env, ref, event, source_arns=[source_arn])
    if outcome is None:
        return authorizer_failure()
    if outcome_failed(outcome):
        message = error_message(outcome)
        return unauthorized() if message == "Unauthorized" else authorizer_failure()
    result = handler_json(outcome.payload)
    if not isinstance(result, dict) or "principalId" not in result:
        return authorizer_failure()
    decision = policy_decision(result.get("policyDocument"), method_arn)
    if decision is None:
        return authorizer_failure()
    if decision == "deny":
        return _error(
            403,
            "User is not authorized to access this resource with an explicit deny",
            "AccessDeniedException",
            key="Message",
        )
    if decision == "implicit":
        return _error(
            403,
            "User is not authorized to access this resource",
            "AccessDeniedException",
            key="Message",
        )
    context = result.get("context") or {}
    if not isinstance(context, dict) or any(isinstance(v, dict | list) for v in context.values()):
        return authorizer_failure()
    usage_key = result.get("usageIdentifierKey")
    return (
        {**context, "principalId": result["principalId"], "integrationLatency": 0},
        usage_key if isinstance(usage_key, str) else None,
    )


def _valid_api_key(env: Env, route: _Route, req: GatewayRequest, usage_key: str | None) -> Any:
    """The enabled API key presented with the request that belongs to a usage plan covering
    this API and stage, else None."""
    backend = apigateway_backends[env.account_id][req.region]
    value = usage_key if route.api.api_key_source == "AUTHORIZER" else req.header("x-api-key")
    if not value:
        return None
    for key in backend.keys.values():
        if key.value != value or not key.enabled:
            continue
        for plan in backend.usage_plans.values():
            if key.id not in backend.usage_plan_keys.get(plan.id, {}):
                continue
            if any(
                s.get("apiId") == route.api.id and s.get("stage") == route.stage_name
                for s in plan.api_stages
            ):
                return key
    return None


# --- integrations --------------------------------------------------------------------------


def _integrate(
    env: Env,
    route: _Route,
    req: GatewayRequest,
    authorizer_context: dict[str, Any],
    identity_extra: dict[str, Any],
) -> HttpResponse:
    integration = route.method.method_integration
    if integration is None:
        return internal_error()
    if integration.integration_type == "MOCK":
        return _mock(integration, req)
    if integration.integration_type != "AWS_PROXY":
        # AWS (non-proxy Lambda with mapping templates), HTTP and HTTP_PROXY are not emulated.
        return internal_error()
    ref = function_from_integration_uri(integration.uri, route.stage_variables)
    if ref is None or (integration.http_method or "").upper() != "POST":
        # Lambda's Invoke action is a POST: with any other integration method the Lambda
        # service refuses the call and API Gateway answers 500; the function never runs.
        return internal_error()
    context: dict[str, Any] = {}
    if authorizer_context:
        context["authorizer"] = authorizer_context
    event = proxy_v1_event(
        req,
        path=route.path,
        resource_path=route.resource_path,
        path_parameters=route.path_parameters,
        stage=route.stage_name,
        stage_variables=route.stage_variables,
        account_id=env.account_id,
        resource_id=route.resource.id,
        request_context=context,
    )
    event["requestContext"]["identity"].update(identity_extra)
    outcome = call_function(env, ref, event, source_arns=_source_arns(env, route, req))
    if outcome is None:
        return internal_error()
    if outcome_failed(outcome):
        return bad_gateway()
    return parse_proxy_v1_response(outcome.payload) or bad_gateway()


_MOCK_STATUS = re.compile(r'"statusCode"\s*:\s*"?(\d{3})')
_STATIC_VALUE = re.compile(r"^'(.*)'$", re.DOTALL)


def _mock(integration: Any, req: GatewayRequest) -> HttpResponse:
    """MOCK: the status comes from the request template's statusCode; the integration
    response whose selectionPattern matches it (or the default one) shapes the answer.
    Templates are returned as written: VTL ($input, $context...) is not evaluated."""
    templates = integration.request_templates or {}
    content_type = (req.header("Content-Type") or "application/json").split(";")[0].strip()
    template = templates.get(content_type, templates.get("application/json", ""))
    match = _MOCK_STATUS.search(template or "")
    status = match[1] if match else "200"
    chosen = None
    for response in (integration.integration_responses or {}).values():
        pattern = response.selection_pattern
        if pattern and re.fullmatch(pattern, status):
            chosen = response
            break
        if not pattern and chosen is None:
            chosen = response
    if chosen is None:
        return internal_error()
    response_templates = chosen.response_templates or {}
    body = response_templates.get("application/json")
    if body is None and response_templates:
        body = next(iter(response_templates.values()))
    headers = {"Content-Type": "application/json"}
    for name, value in (chosen.response_parameters or {}).items():
        static = _STATIC_VALUE.match(str(value))
        if name.startswith("method.response.header.") and static:
            headers[name.removeprefix("method.response.header.")] = static[1]
    return HttpResponse(status=int(chosen.status_code), headers=headers, body=(body or "").encode())
