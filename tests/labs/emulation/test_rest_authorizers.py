"""Authorizers on REST APIs, enforced: Cognito user pools and Lambda TOKEN/REQUEST."""

from __future__ import annotations

import re
from typing import Any

import pytest

from labs.sandbox.emulation import Emulation

from .conftest import (
    ACCOUNT,
    REGION,
    FakeLambda,
    allow_apigateway,
    create_function,
    integration_uri,
    signed_in_user,
)
from .test_rest_api import RestApi


def backend(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": "secret"}


def _cognito_api(lambdas: FakeLambda, pool_arn: str, scopes: list[str] | None = None) -> RestApi:
    arn = create_function(lambdas, "backend", backend)
    allow_apigateway("backend")
    api = RestApi()
    authorizer = api.apigw.create_authorizer(
        restApiId=api.id,
        name="members",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool_arn],
        identitySource="method.request.header.Authorization",
    )["id"]
    extra = {"authorizationScopes": scopes} if scopes else {}
    api.proxy(
        "/profile",
        "GET",
        arn,
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
        **extra,
    )
    api.deploy()
    return api


def test_cognito_authorizer_requires_a_valid_id_token(emu: Emulation, lambdas: FakeLambda) -> None:
    user = signed_in_user()
    stranger = signed_in_user("other-pool", "omar")
    api = _cognito_api(lambdas, user.pool_arn)
    url = api.url("/profile")

    answers = {
        "none": emu.http("GET", url),
        "garbage": emu.http("GET", url, headers={"Authorization": "not.a.jwt"}),
        "other pool": emu.http("GET", url, headers={"Authorization": stranger.id_token}),
        "access token": emu.http("GET", url, headers={"Authorization": user.access_token}),
    }
    good = emu.http("GET", url, headers={"Authorization": user.id_token})

    assert {k: (r.status, r.json()) for k, r in answers.items()} == {
        k: (401, {"message": "Unauthorized"}) for k in answers
    }
    assert (good.status, good.body) == (200, b"secret")
    (event,) = lambdas.events("backend")
    claims = event["requestContext"]["authorizer"]["claims"]
    assert (claims["cognito:username"], claims["token_use"], claims["aud"]) == (
        "lena",
        "id",
        user.client_id,
    )
    assert re.fullmatch(
        r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", claims["exp"]
    )


def test_cognito_authorizer_checks_expiry_on_the_emulation_clock(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    user = signed_in_user()
    api = _cognito_api(lambdas, user.pool_arn)
    headers = {"Authorization": f"Bearer {user.id_token}"}

    before = emu.http("GET", api.url("/profile"), headers=headers).status
    emu.clock.advance(3601)
    after = emu.http("GET", api.url("/profile"), headers=headers)

    assert (before, after.status, after.json()) == (200, 401, {"message": "Unauthorized"})


def test_cognito_authorizer_with_scopes_wants_an_access_token_with_the_scope(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    user = signed_in_user()
    api = _cognito_api(lambdas, user.pool_arn, scopes=["aws.cognito.signin.user.admin"])
    url = api.url("/profile")

    id_status = emu.http("GET", url, headers={"Authorization": user.id_token}).status
    access_status = emu.http("GET", url, headers={"Authorization": user.access_token}).status

    assert (id_status, access_status) == (401, 200)


def _lambda_authorizer_api(
    lambdas: FakeLambda,
    authorize: Any,
    *,
    kind: str = "TOKEN",
    identity: str | None = None,
    permit: bool = True,
) -> RestApi:
    backend_arn = create_function(lambdas, "backend", backend)
    allow_apigateway("backend")
    auth_arn = create_function(lambdas, "gatekeeper", authorize)
    api = RestApi()
    authorizer = api.apigw.create_authorizer(
        restApiId=api.id,
        name="gate",
        type=kind,
        authorizerUri=integration_uri(auth_arn),
        identitySource=identity or "method.request.header.Authorization",
    )["id"]
    if permit:
        allow_apigateway(
            "gatekeeper",
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/authorizers/{authorizer}",
        )
    api.proxy(
        "/orders/{id}", "GET", backend_arn, authorizationType="CUSTOM", authorizerId=authorizer
    )
    api.deploy()
    return api


def _policy(effect: str, resource: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "principalId": "user-7",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context or {},
    }


def token_authorizer(event: dict[str, Any]) -> dict[str, Any]:
    token = event["authorizationToken"]
    if token == "allow":
        return _policy("Allow", event["methodArn"], {"tier": "gold", "credits": 3})
    if token == "deny":
        return _policy("Deny", event["methodArn"])
    if token == "elsewhere":
        return _policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:other/*")
    raise Exception("Unauthorized")


def test_token_authorizer_allow_passes_context_to_the_integration(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    api = _lambda_authorizer_api(lambdas, token_authorizer)

    response = emu.http("GET", api.url("/orders/9"), headers={"Authorization": "allow"})

    assert (response.status, response.body) == (200, b"secret")
    (auth_event,) = lambdas.events("gatekeeper")
    assert auth_event == {
        "type": "TOKEN",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/prod/GET/orders/9",
        "authorizationToken": "allow",
    }
    authorizer = lambdas.events("backend")[0]["requestContext"]["authorizer"]
    assert authorizer == {
        "tier": "gold",
        "credits": 3,
        "principalId": "user-7",
        "integrationLatency": 0,
    }


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        (
            "deny",
            403,
            {"Message": "User is not authorized to access this resource with an explicit deny"},
        ),
        ("elsewhere", 403, {"Message": "User is not authorized to access this resource"}),
        ("wrong", 401, {"message": "Unauthorized"}),
        (None, 401, {"message": "Unauthorized"}),
    ],
)
def test_token_authorizer_refusals(
    emu: Emulation, lambdas: FakeLambda, token: str | None, status: int, body: dict[str, Any]
) -> None:
    api = _lambda_authorizer_api(lambdas, token_authorizer)
    headers = {"Authorization": token} if token else {}

    response = emu.http("GET", api.url("/orders/9"), headers=headers)

    assert (response.status, response.json()) == (status, body)
    assert lambdas.events("backend") == []
    assert len(lambdas.events("gatekeeper")) == (1 if token else 0)


def test_authorizer_without_invoke_permission_answers_500(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    api = _lambda_authorizer_api(lambdas, token_authorizer, permit=False)

    response = emu.http("GET", api.url("/orders/9"), headers={"Authorization": "allow"})

    assert (response.status, response.json()) == (500, {"message": None})
    assert lambdas.calls == []


def test_request_authorizer_sees_the_request_and_its_identity_sources(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def authorize(event: dict[str, Any]) -> dict[str, Any]:
        allowed = event["headers"].get("X-Team") == "ops" and event["queryStringParameters"]
        return _policy("Allow" if allowed else "Deny", event["methodArn"])

    api = _lambda_authorizer_api(
        lambdas,
        authorize,
        kind="REQUEST",
        identity="method.request.header.X-Team, method.request.querystring.v",
    )

    missing = emu.http("GET", api.url("/orders/3"), headers={"X-Team": "ops"})
    allowed = emu.http("GET", api.url("/orders/3?v=1"), headers={"X-Team": "ops"})
    denied = emu.http("GET", api.url("/orders/3?v=1"), headers={"X-Team": "dev"})

    assert [missing.status, allowed.status, denied.status] == [401, 200, 403]
    first = lambdas.events("gatekeeper")[0]
    assert (first["type"], first["methodArn"], first["resource"], first["pathParameters"]) == (
        "REQUEST",
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/prod/GET/orders/3",
        "/orders/{id}",
        {"id": "3"},
    )
    assert "body" not in first
