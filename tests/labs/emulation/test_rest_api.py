"""REST APIs (API Gateway v1) answered by the emulation's router."""

from __future__ import annotations

import json
from typing import Any

import pytest

from labs.sandbox.emulation import Emulation, NotAnApiUrl

from .conftest import (
    ACCOUNT,
    REGION,
    FakeLambda,
    allow_apigateway,
    client,
    create_function,
    integration_uri,
)


def echo(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"X-Seen": event["resource"]}, "body": "ok"}


class RestApi:
    """A small REST API built through boto3, as a learner's provisioning script would."""

    def __init__(self) -> None:
        self.apigw = client("apigateway")
        self.id = self.apigw.create_rest_api(name="shop")["id"]
        self.root = self.apigw.get_resources(restApiId=self.id)["items"][0]["id"]
        self.resources: dict[str, str] = {"/": self.root}

    def resource(self, path: str) -> str:
        if path in self.resources:
            return self.resources[path]
        parent_path, _, part = path.rpartition("/")
        parent = self.resource(parent_path or "/")
        self.resources[path] = self.apigw.create_resource(
            restApiId=self.id, parentId=parent, pathPart=part
        )["id"]
        return self.resources[path]

    def proxy(self, path: str, method: str, function_arn: str, **method_args: Any) -> None:
        resource = self.resource(path)
        self.apigw.put_method(
            restApiId=self.id,
            resourceId=resource,
            httpMethod=method,
            authorizationType=method_args.pop("authorizationType", "NONE"),
            **method_args,
        )
        self.apigw.put_integration(
            restApiId=self.id,
            resourceId=resource,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=integration_uri(function_arn),
        )

    def deploy(self, stage: str = "prod") -> None:
        self.apigw.create_deployment(restApiId=self.id, stageName=stage)

    def url(self, path: str, stage: str = "prod") -> str:
        return f"https://{self.id}.execute-api.{REGION}.amazonaws.com/{stage}{path}"


@pytest.fixture
def shop(emu: Emulation, lambdas: FakeLambda) -> RestApi:
    arn = create_function(lambdas, "shop", echo)
    allow_apigateway("shop")
    api = RestApi()
    api.proxy("/items", "GET", arn)
    api.proxy("/items/{id}", "GET", arn)
    api.proxy("/items/special", "GET", arn)
    api.proxy("/{proxy+}", "ANY", arn)
    api.deploy()
    return api


def test_rest_proxy_event_has_payload_format_1_0_shape(
    emu: Emulation, lambdas: FakeLambda, shop: RestApi
) -> None:
    response = emu.http(
        "GET", shop.url("/items/42?color=red&color=blue&size=m"), headers={"X-Trace": "t1"}
    )

    assert (response.status, response.body) == (200, b"ok")
    assert response.header("x-seen") == "/items/{id}"
    (event,) = lambdas.events("shop")
    context = event.pop("requestContext")
    assert event == {
        "resource": "/items/{id}",
        "path": "/items/42",
        "httpMethod": "GET",
        "headers": {"X-Trace": "t1", "Host": f"{shop.id}.execute-api.{REGION}.amazonaws.com"},
        "multiValueHeaders": {
            "X-Trace": ["t1"],
            "Host": [f"{shop.id}.execute-api.{REGION}.amazonaws.com"],
        },
        "queryStringParameters": {"color": "blue", "size": "m"},
        "multiValueQueryStringParameters": {"color": ["red", "blue"], "size": ["m"]},
        "pathParameters": {"id": "42"},
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
    }
    assert {k: context[k] for k in ("resourcePath", "httpMethod", "path", "stage", "apiId")} == {
        "resourcePath": "/items/{id}",
        "httpMethod": "GET",
        "path": "/prod/items/42",
        "stage": "prod",
        "apiId": shop.id,
    }
    assert context["accountId"] == ACCOUNT
    assert context["identity"]["sourceIp"] == "198.51.100.10"


def test_rest_literal_resource_wins_over_path_parameter(
    emu: Emulation, lambdas: FakeLambda, shop: RestApi
) -> None:
    emu.http("GET", shop.url("/items/special"))
    emu.http("GET", shop.url("/items"))

    assert [(e["resource"], e["pathParameters"]) for e in lambdas.events("shop")] == [
        ("/items/special", None),
        ("/items", None),
    ]


def test_rest_greedy_proxy_with_any_catches_other_paths_and_methods(
    emu: Emulation, lambdas: FakeLambda, shop: RestApi
) -> None:
    response = emu.http("DELETE", shop.url("/orders/7/lines"), body={"why": "test"})

    assert response.status == 200
    (event,) = lambdas.events("shop")
    assert (event["resource"], event["httpMethod"], event["pathParameters"], event["body"]) == (
        "/{proxy+}",
        "DELETE",
        {"proxy": "orders/7/lines"},
        '{"why": "test"}',
    )


@pytest.mark.parametrize(
    ("method", "path", "stage"),
    [
        ("GET", "/", "prod"),  # the root has no method
        ("POST", "/items", "prod"),  # /items has GET only
        ("GET", "/items", "dev"),  # no such stage
    ],
)
def test_rest_unmatched_request_answers_missing_authentication_token(
    emu: Emulation, lambdas: FakeLambda, method: str, path: str, stage: str
) -> None:
    arn = create_function(lambdas, "only-items", echo)
    allow_apigateway("only-items")
    api = RestApi()
    api.proxy("/items", "GET", arn)
    api.deploy()

    response = emu.http(method, api.url(path, stage))

    assert response.status == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert lambdas.calls == []


def test_rest_stage_without_deployment_is_not_served(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = create_function(lambdas, "fn", echo)
    allow_apigateway("fn")
    api = RestApi()
    api.proxy("/items", "GET", arn)

    response = emu.http("GET", api.url("/items"))

    assert (response.status, response.json()) == (403, {"message": "Missing Authentication Token"})


def test_rest_method_added_after_deployment_needs_a_redeploy(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "fn", echo)
    allow_apigateway("fn")
    api = RestApi()
    api.proxy("/items", "GET", arn)
    api.deploy()
    api.proxy("/items", "POST", arn)

    before = emu.http("POST", api.url("/items"))
    api.deploy()
    after = emu.http("POST", api.url("/items"))

    assert (before.status, before.json()) == (403, {"message": "Missing Authentication Token"})
    assert after.status == 200


def test_rest_missing_invoke_permission_answers_500_without_running_the_function(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "locked", echo)
    api = RestApi()
    api.proxy("/items", "GET", arn)
    api.deploy()

    response = emu.http("GET", api.url("/items"))

    assert (response.status, response.json()) == (500, {"message": "Internal server error"})
    assert lambdas.calls == []


def test_rest_permission_source_arn_must_match_the_api(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = create_function(lambdas, "scoped", echo)
    api = RestApi()
    api.proxy("/items/{id}", "GET", arn)
    api.deploy()
    other_api = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:otherapi/*/GET/items/*"
    allow_apigateway("scoped", other_api, sid="wrong")

    assert emu.http("GET", api.url("/items/1")).status == 500

    allow_apigateway(
        "scoped", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/*/GET/items/*", sid="right"
    )
    assert emu.http("GET", api.url("/items/1")).status == 200


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "body": {"not": "a string"}},
        {"body": "no status code"},
        {"statusCode": 200, "body": "x", "extra": "key"},
        "just a string",
    ],
)
def test_rest_malformed_proxy_response_answers_502(
    emu: Emulation, lambdas: FakeLambda, result: Any
) -> None:
    arn = create_function(lambdas, "sloppy", lambda event: result)
    allow_apigateway("sloppy")
    api = RestApi()
    api.proxy("/x", "GET", arn)
    api.deploy()

    response = emu.http("GET", api.url("/x"))

    assert (response.status, response.json()) == (502, {"message": "Internal server error"})


@pytest.mark.parametrize("raw", [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe not utf-8", b""])
def test_rest_hostile_handler_output_answers_502_instead_of_crashing(
    emu: Emulation, lambdas: FakeLambda, raw: bytes
) -> None:
    arn = create_function(lambdas, "hostile", lambda event: raw)
    allow_apigateway("hostile")
    api = RestApi()
    api.proxy("/x", "GET", arn)
    api.deploy()

    response = emu.http("GET", api.url("/x"))

    assert (response.status, response.json()) == (502, {"message": "Internal server error"})


def test_rest_handler_error_answers_502(emu: Emulation, lambdas: FakeLambda) -> None:
    def crash(event: dict[str, Any]) -> None:
        raise KeyError("id")

    arn = create_function(lambdas, "crash", crash)
    allow_apigateway("crash")
    api = RestApi()
    api.proxy("/x", "GET", arn)
    api.deploy()

    response = emu.http("GET", api.url("/x"))

    assert (response.status, response.json()) == (502, {"message": "Internal server error"})


def test_rest_base64_response_body_is_decoded(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = create_function(
        lambdas,
        "binary",
        lambda event: {
            "statusCode": 200,
            "body": "AAEC",
            "isBase64Encoded": True,
            "headers": {"Content-Type": "application/octet-stream"},
        },
    )
    allow_apigateway("binary")
    api = RestApi()
    api.proxy("/bin", "GET", arn)
    api.deploy()

    response = emu.http("GET", api.url("/bin"))

    assert (response.status, response.body, response.header("content-type")) == (
        200,
        b"\x00\x01\x02",
        "application/octet-stream",
    )


def _mock_method(api: RestApi, path: str, *, with_response: bool) -> None:
    apigw, resource = api.apigw, api.resource(path)
    apigw.put_method(
        restApiId=api.id, resourceId=resource, httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    if with_response:
        apigw.put_method_response(
            restApiId=api.id, resourceId=resource, httpMethod="GET", statusCode="200"
        )
        apigw.put_integration_response(
            restApiId=api.id,
            resourceId=resource,
            httpMethod="GET",
            statusCode="200",
            responseTemplates={"application/json": '{"status": "healthy"}'},
            responseParameters={"method.response.header.X-Mock": "'yes'"},
        )


def test_rest_mock_integration_answers_from_its_integration_response(emu: Emulation) -> None:
    api = RestApi()
    _mock_method(api, "/health", with_response=True)
    _mock_method(api, "/broken", with_response=False)
    api.deploy()

    healthy = emu.http("GET", api.url("/health"))
    broken = emu.http("GET", api.url("/broken"))

    assert (healthy.status, healthy.json(), healthy.header("X-Mock")) == (
        200,
        {"status": "healthy"},
        "yes",
    )
    assert (broken.status, broken.json()) == (500, {"message": "Internal server error"})


def test_rest_api_key_required_checks_key_and_usage_plan(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "keyed", lambda event: {"statusCode": 200, "body": "in"})
    allow_apigateway("keyed")
    api = RestApi()
    api.proxy("/report", "GET", arn, apiKeyRequired=True)
    api.deploy()
    apigw = api.apigw
    planned = apigw.create_api_key(name="planned", enabled=True, value="k" * 20)
    unplanned = apigw.create_api_key(name="loose", enabled=True, value="u" * 20)
    plan = apigw.create_usage_plan(name="basic", apiStages=[{"apiId": api.id, "stage": "prod"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=planned["id"], keyType="API_KEY")

    statuses = [
        emu.http("GET", api.url("/report"), headers=headers).status
        for headers in ({}, {"x-api-key": "nope"}, {"x-api-key": "u" * 20})
    ]
    good = emu.http("GET", api.url("/report"), headers={"X-Api-Key": "k" * 20})

    assert statuses == [403, 403, 403]
    assert emu.http("GET", api.url("/report")).json() == {"message": "Forbidden"}
    assert (good.status, good.body) == (200, b"in")
    identity = lambdas.events("keyed")[0]["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == ("k" * 20, planned["id"])
    assert unplanned["id"] != planned["id"]


def test_unknown_api_id_raises_a_clear_error(emu: Emulation) -> None:
    with pytest.raises(NotAnApiUrl, match="no REST or HTTP API with id 'nope'"):
        emu.http("GET", f"https://nope.execute-api.{REGION}.amazonaws.com/prod/x")
    with pytest.raises(NotAnApiUrl, match="not an API Gateway URL"):
        emu.http("GET", "https://example.com/prod/x")


def test_rest_stage_variables_select_the_function(emu: Emulation, lambdas: FakeLambda) -> None:
    create_function(lambdas, "blue", lambda e: {"statusCode": 200, "body": "blue"})
    allow_apigateway("blue")
    api = RestApi()
    resource = api.resource("/color")
    api.apigw.put_method(
        restApiId=api.id, resourceId=resource, httpMethod="GET", authorizationType="NONE"
    )
    api.apigw.put_integration(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=integration_uri(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:${{stageVariables.fn}}"),
    )
    api.apigw.create_deployment(restApiId=api.id, stageName="prod", variables={"fn": "blue"})

    response = emu.http("GET", api.url("/color"))

    assert (response.status, response.body) == (200, b"blue")
    assert json.loads(json.dumps(lambdas.events("blue")[0]["stageVariables"])) == {"fn": "blue"}


def test_rest_alias_integration_needs_the_permission_on_the_alias(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "versioned", echo)
    lam = client("lambda")
    version = lam.publish_version(FunctionName="versioned")["Version"]
    lam.create_alias(FunctionName="versioned", Name="live", FunctionVersion=version)
    api = RestApi()
    api.proxy("/v", "GET", f"{arn}:live")
    api.deploy()

    without = emu.http("GET", api.url("/v"))
    lam.add_permission(
        FunctionName="versioned",
        Qualifier="live",
        StatementId="apigw-live",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    with_permission = emu.http("GET", api.url("/v"))

    assert (without.status, with_permission.status) == (500, 200)
