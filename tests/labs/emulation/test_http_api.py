"""HTTP APIs (API Gateway v2) answered by the emulation's router."""

from __future__ import annotations

from typing import Any

import pytest

from labs.sandbox.emulation import Emulation

from .conftest import (
    ACCOUNT,
    REGION,
    FakeLambda,
    allow_apigateway,
    client,
    create_function,
    integration_uri,
    signed_in_user,
)


class HttpApi:
    def __init__(self, function_arn: str, *, payload: str = "2.0") -> None:
        self.v2 = client("apigatewayv2")
        self.id = self.v2.create_api(Name="notes", ProtocolType="HTTP")["ApiId"]
        self.integration = self.v2.create_integration(
            ApiId=self.id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=function_arn,
            PayloadFormatVersion=payload,
        )["IntegrationId"]

    def route(self, key: str, **extra: Any) -> None:
        self.v2.create_route(
            ApiId=self.id, RouteKey=key, Target=f"integrations/{self.integration}", **extra
        )

    def stage(self, name: str = "$default") -> None:
        self.v2.create_stage(ApiId=self.id, StageName=name, AutoDeploy=True)

    def url(self, path: str) -> str:
        return f"https://{self.id}.execute-api.{REGION}.amazonaws.com{path}"


def reply(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": event["routeKey"]}


@pytest.fixture
def notes(emu: Emulation, lambdas: FakeLambda) -> HttpApi:
    arn = create_function(lambdas, "notes", reply)
    allow_apigateway("notes")
    api = HttpApi(arn)
    for key in ("GET /items/{id}", "GET /items/latest", "ANY /{proxy+}", "POST /items"):
        api.route(key)
    api.stage()
    return api


def test_http_proxy_event_has_payload_format_2_0_shape(
    emu: Emulation, lambdas: FakeLambda, notes: HttpApi
) -> None:
    response = emu.http(
        "GET",
        notes.url("/items/42?tag=a&tag=b"),
        headers={"X-Trace": "t1", "Cookie": "theme=dark; lang=en"},
    )

    assert (response.status, response.body) == (200, b"GET /items/{id}")
    (event,) = lambdas.events("notes")
    context = event.pop("requestContext")
    host = f"{notes.id}.execute-api.{REGION}.amazonaws.com"
    assert event == {
        "version": "2.0",
        "routeKey": "GET /items/{id}",
        "rawPath": "/items/42",
        "rawQueryString": "tag=a&tag=b",
        "cookies": ["theme=dark", "lang=en"],
        "headers": {"x-trace": "t1", "host": host},
        "queryStringParameters": {"tag": "a,b"},
        "pathParameters": {"id": "42"},
        "isBase64Encoded": False,
    }
    assert {k: v for k, v in context.items() if k not in ("requestId", "time", "timeEpoch")} == {
        "accountId": ACCOUNT,
        "apiId": notes.id,
        "domainName": host,
        "domainPrefix": notes.id,
        "http": {
            "method": "GET",
            "path": "/items/42",
            "protocol": "HTTP/1.1",
            "sourceIp": "198.51.100.10",
            "userAgent": "coldstart-grader",
        },
        "routeKey": "GET /items/{id}",
        "stage": "$default",
    }


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("GET", "/items/latest", "GET /items/latest"),
        ("GET", "/items/7", "GET /items/{id}"),
        ("POST", "/items", "POST /items"),
        ("PUT", "/items/7", "ANY /{proxy+}"),
        ("GET", "/deep/er/path", "ANY /{proxy+}"),
    ],
)
def test_http_route_selection_prefers_the_most_specific_route(
    emu: Emulation, notes: HttpApi, method: str, path: str, route: str
) -> None:
    assert emu.http(method, notes.url(path)).body == route.encode()


def test_http_default_route_and_named_stage(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = create_function(lambdas, "fallback", reply)
    allow_apigateway("fallback")
    api = HttpApi(arn)
    api.route("$default")
    api.stage("dev")

    response = emu.http("DELETE", api.url("/dev/anything?x=1"))
    unknown_stage = emu.http("GET", api.url("/prod/anything"))

    assert (response.status, response.body) == (200, b"$default")
    event = lambdas.events("fallback")[0]
    assert (event["rawPath"], event["requestContext"]["stage"]) == ("/dev/anything", "dev")
    assert (unknown_stage.status, unknown_stage.json()) == (404, {"message": "Not Found"})


def test_http_unmatched_route_answers_404(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = create_function(lambdas, "one", reply)
    allow_apigateway("one")
    api = HttpApi(arn)
    api.route("GET /only")
    api.stage()

    response = emu.http("POST", api.url("/only"))

    assert (response.status, response.json()) == (404, {"message": "Not Found"})


@pytest.mark.parametrize(
    ("result", "status", "body"),
    [
        ({"statusCode": 201, "body": "made", "headers": {"X-Id": "1"}}, 201, b"made"),
        ({"items": [1, 2]}, 200, b'{"items": [1, 2]}'),
        ("plain", 200, b'"plain"'),
    ],
)
def test_http_payload_2_0_response_is_inferred_when_it_has_no_status_code(
    emu: Emulation, lambdas: FakeLambda, result: Any, status: int, body: bytes
) -> None:
    arn = create_function(lambdas, "inferred", lambda event: result)
    allow_apigateway("inferred")
    api = HttpApi(arn)
    api.route("GET /x")
    api.stage()

    response = emu.http("GET", api.url("/x"))

    assert (response.status, response.body, response.header("content-type")) == (
        status,
        body,
        "application/json",
    )


def test_http_payload_1_0_event_and_malformed_response(emu: Emulation, lambdas: FakeLambda) -> None:
    results = iter([{"statusCode": 200, "body": "v1"}, {"body": "no status"}])
    arn = create_function(lambdas, "legacy", lambda event: next(results))
    allow_apigateway("legacy")
    api = HttpApi(arn, payload="1.0")
    api.route("GET /old/{id}")
    api.stage()

    ok = emu.http("GET", api.url("/old/5"))
    bad = emu.http("GET", api.url("/old/5"))

    assert (ok.status, ok.body) == (200, b"v1")
    assert (bad.status, bad.json()) == (500, {"message": "Internal Server Error"})
    event = lambdas.events("legacy")[0]
    assert (event["version"], event["resource"], event["path"], event["pathParameters"]) == (
        "1.0",
        "/old/{id}",
        "/old/5",
        {"id": "5"},
    )


def test_http_missing_permission_and_handler_error_answer_500(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def crash(event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    locked = create_function(lambdas, "locked", reply)
    broken = create_function(lambdas, "broken", crash)
    allow_apigateway("broken")
    locked_api, broken_api = HttpApi(locked), HttpApi(broken)
    for api in (locked_api, broken_api):
        api.route("GET /x")
        api.stage()

    answers = [emu.http("GET", api.url("/x")) for api in (locked_api, broken_api)]

    assert [(r.status, r.json()) for r in answers] == [
        (500, {"message": "Internal Server Error"}),
        (500, {"message": "Internal Server Error"}),
    ]
    assert [name for name, _ in lambdas.calls] == ["broken"]


def _jwt_api(lambdas: FakeLambda, issuer: str, audience: list[str], **route: Any) -> HttpApi:
    arn = create_function(lambdas, "private", lambda e: {"statusCode": 200, "body": "mine"})
    allow_apigateway("private")
    api = HttpApi(arn)
    authorizer = api.v2.create_authorizer(
        ApiId=api.id,
        Name="cognito",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": audience},
    )["AuthorizerId"]
    api.route("GET /me", AuthorizationType="JWT", AuthorizerId=authorizer, **route)
    api.stage()
    return api


def test_jwt_authorizer_verifies_issuer_audience_signature_and_expiry(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    user = signed_in_user()
    stranger = signed_in_user("elsewhere", "omar")
    api = _jwt_api(lambdas, user.issuer, [user.client_id])
    url = api.url("/me")

    refused = [
        emu.http("GET", url, headers=h)
        for h in (
            {},
            {"Authorization": "Bearer nonsense"},
            {"Authorization": f"Bearer {stranger.id_token}"},
        )
    ]
    good = emu.http("GET", url, headers={"Authorization": f"Bearer {user.id_token}"})
    access = emu.http("GET", url, headers={"Authorization": f"Bearer {user.access_token}"})
    emu.clock.advance(3600)
    expired = emu.http("GET", url, headers={"Authorization": f"Bearer {user.id_token}"})

    assert [(r.status, r.json()) for r in refused] == [(401, {"message": "Unauthorized"})] * 3
    assert [(good.status, good.body), (access.status, access.body)] == [
        (200, b"mine"),
        (200, b"mine"),
    ]
    assert (expired.status, expired.json()) == (401, {"message": "Unauthorized"})
    jwt = lambdas.events("private")[0]["requestContext"]["authorizer"]["jwt"]
    assert (jwt["claims"]["sub"] != "", jwt["claims"]["aud"], jwt["claims"]["iss"]) == (
        True,
        user.client_id,
        user.issuer,
    )


def test_jwt_authorizer_rejects_a_token_for_another_audience(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    user = signed_in_user()
    api = _jwt_api(lambdas, user.issuer, ["some-other-client"])

    response = emu.http("GET", api.url("/me"), headers={"Authorization": user.id_token})

    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})


def test_jwt_authorizer_scopes_answer_403_when_missing(emu: Emulation, lambdas: FakeLambda) -> None:
    user = signed_in_user()
    api = _jwt_api(lambdas, user.issuer, [user.client_id], AuthorizationScopes=["orders/read"])

    response = emu.http("GET", api.url("/me"), headers={"Authorization": user.access_token})

    assert (response.status, response.json()) == (403, {"message": "Forbidden"})


def _lambda_authorizer_api(
    lambdas: FakeLambda, authorize: Any, *, simple: bool, version: str = "2.0"
) -> HttpApi:
    arn = create_function(lambdas, "private", lambda e: {"statusCode": 200, "body": "mine"})
    allow_apigateway("private")
    auth_arn = create_function(lambdas, "gate", authorize)
    api = HttpApi(arn)
    authorizer = api.v2.create_authorizer(
        ApiId=api.id,
        Name="gate",
        AuthorizerType="REQUEST",
        AuthorizerUri=integration_uri(auth_arn),
        AuthorizerPayloadFormatVersion=version,
        EnableSimpleResponses=simple,
        IdentitySource=["$request.header.X-Key"],
    )["AuthorizerId"]
    allow_apigateway(
        "gate", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/authorizers/{authorizer}"
    )
    api.route("GET /me", AuthorizationType="CUSTOM", AuthorizerId=authorizer)
    api.stage()
    return api


def test_lambda_authorizer_simple_response(emu: Emulation, lambdas: FakeLambda) -> None:
    def authorize(event: dict[str, Any]) -> dict[str, Any]:
        ok = event["identitySource"] == ["open-sesame"]
        return {"isAuthorized": ok, "context": {"who": "lena"}}

    api = _lambda_authorizer_api(lambdas, authorize, simple=True)

    missing = emu.http("GET", api.url("/me"))
    denied = emu.http("GET", api.url("/me"), headers={"X-Key": "guess"})
    allowed = emu.http("GET", api.url("/me"), headers={"X-Key": "open-sesame"})

    assert [
        (r.status, r.json() if r.status != 200 else r.body) for r in (missing, denied, allowed)
    ] == [
        (401, {"message": "Unauthorized"}),
        (403, {"message": "Forbidden"}),
        (200, b"mine"),
    ]
    auth_event = lambdas.events("gate")[0]
    assert (auth_event["version"], auth_event["type"], auth_event["routeArn"]) == (
        "2.0",
        "REQUEST",
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/$default/GET/me",
    )
    context = lambdas.events("private")[0]["requestContext"]["authorizer"]
    assert context == {"lambda": {"who": "lena"}}


def test_lambda_authorizer_iam_policy_format(emu: Emulation, lambdas: FakeLambda) -> None:
    def authorize(event: dict[str, Any]) -> dict[str, Any]:
        effect = "Allow" if event["headers"]["x-key"] == "good" else "Deny"
        return {
            "principalId": "p1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": effect,
                        "Resource": event["routeArn"],
                    }
                ],
            },
        }

    api = _lambda_authorizer_api(lambdas, authorize, simple=False)

    statuses = [
        emu.http("GET", api.url("/me"), headers={"X-Key": key}).status for key in ("good", "bad")
    ]

    assert statuses == [200, 403]


def test_lambda_authorizer_payload_1_0_gets_the_request_and_passes_flat_context(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def authorize(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "principalId": "p9",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}],
            },
            "context": {"plan": "pro"},
        }

    api = _lambda_authorizer_api(lambdas, authorize, simple=False, version="1.0")

    response = emu.http("GET", api.url("/me"), headers={"X-Key": "k1"})

    assert response.status == 200
    auth_event = lambdas.events("gate")[0]
    assert (auth_event["version"], auth_event["type"], auth_event["identitySource"]) == (
        "1.0",
        "REQUEST",
        "k1",
    )
    assert (
        auth_event["methodArn"]
        == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/$default/GET/me"
    )
    assert lambdas.events("private")[0]["requestContext"]["authorizer"] == {
        "plan": "pro",
        "principalId": "p9",
    }
