"""REST API stages serve their deployment's snapshot; UpdateMethod and PutMethod behave as
on AWS; a Lambda integration must call Invoke with POST."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.apigateway.models import apigateway_backends
from moto.core.base_backend import BackendDict

from labs.sandbox.emulation import Emulation
from labs.sandbox.emulation.rest_deployments import SNAPSHOT

from .conftest import (
    ACCOUNT,
    REGION,
    FakeLambda,
    PoolUser,
    allow_apigateway,
    create_function,
    integration_uri,
    signed_in_user,
)
from .test_rest_api import RestApi


def answer(text: str) -> Any:
    return lambda event: {"statusCode": 200, "body": text}


@pytest.fixture
def notes(emu: Emulation, lambdas: FakeLambda) -> tuple[RestApi, str]:
    """GET /notes proxied to `old`, deployed to prod; `new` exists and may be invoked."""
    old = create_function(lambdas, "old", answer("old"))
    new = create_function(lambdas, "new", answer("new"))
    allow_apigateway("old")
    allow_apigateway("new")
    api = RestApi()
    api.proxy("/notes", "GET", old)
    api.deploy()
    return api, new


def _cognito_authorizer(api: RestApi) -> tuple[str, PoolUser]:
    """A Cognito authorizer on `api` trusting a fresh pool, and a signed-in user of it."""
    user = signed_in_user()
    authorizer = api.apigw.create_authorizer(
        restApiId=api.id,
        name="members",
        type="COGNITO_USER_POOLS",
        providerARNs=[user.pool_arn],
        identitySource="method.request.header.Authorization",
    )["id"]
    return authorizer, user


def test_integration_changed_after_the_deployment_is_live_only_after_a_redeploy(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, new = notes
    api.apigw.put_integration(
        restApiId=api.id,
        resourceId=api.resource("/notes"),
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=integration_uri(new),
    )

    before = emu.http("GET", api.url("/notes"))
    api.deploy()
    after = emu.http("GET", api.url("/notes"))

    assert (before.body, after.body) == (b"old", b"new")


def test_authorizer_attached_after_the_deployment_does_not_protect_until_redeployed(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, _ = notes
    authorizer, _ = _cognito_authorizer(api)
    api.apigw.update_method(
        restApiId=api.id,
        resourceId=api.resource("/notes"),
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"},
            {"op": "replace", "path": "/authorizerId", "value": authorizer},
        ],
    )

    stale = emu.http("GET", api.url("/notes"))
    api.deploy()
    protected = emu.http("GET", api.url("/notes"))

    assert (stale.status, stale.body) == (200, b"old")
    assert (protected.status, protected.json()) == (401, {"message": "Unauthorized"})


def test_authorizer_settings_changed_after_the_deployment_wait_for_a_redeploy(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    backend = create_function(lambdas, "backend", answer("secret"))
    allow_apigateway("backend")
    api = RestApi()
    authorizer, user = _cognito_authorizer(api)
    api.proxy(
        "/profile",
        "GET",
        backend,
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
    )
    api.deploy()
    api.apigw.update_authorizer(
        restApiId=api.id,
        authorizerId=authorizer,
        patchOperations=[
            {"op": "replace", "path": "/identitySource", "value": "method.request.header.X-Token"}
        ],
    )
    old_header = emu.http("GET", api.url("/profile"), headers={"Authorization": user.id_token})
    api.deploy()
    after = emu.http("GET", api.url("/profile"), headers={"Authorization": user.id_token})
    new_header = emu.http("GET", api.url("/profile"), headers={"X-Token": user.id_token})

    assert (old_header.status, after.status, new_header.status) == (200, 401, 200)


def test_deleted_method_keeps_answering_until_redeployed(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, _ = notes
    api.apigw.delete_method(restApiId=api.id, resourceId=api.resource("/notes"), httpMethod="GET")
    api.proxy("/other", "GET", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:old")

    still = emu.http("GET", api.url("/notes"))
    api.deploy()
    gone = emu.http("GET", api.url("/notes"))

    assert still.status == 200
    assert (gone.status, gone.json()) == (403, {"message": "Missing Authentication Token"})


def test_stages_serve_their_own_deployment_and_update_stage_switches(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, new = notes
    first = api.apigw.get_stage(restApiId=api.id, stageName="prod")["deploymentId"]
    api.apigw.put_integration(
        restApiId=api.id,
        resourceId=api.resource("/notes"),
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=integration_uri(new),
    )
    second = api.apigw.create_deployment(restApiId=api.id)["id"]  # no stage yet
    api.apigw.create_stage(restApiId=api.id, stageName="beta", deploymentId=second)

    prod_before = emu.http("GET", api.url("/notes"))
    beta = emu.http("GET", api.url("/notes", stage="beta"))
    api.apigw.update_stage(
        restApiId=api.id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": second}],
    )
    prod_after = emu.http("GET", api.url("/notes"))
    api.apigw.update_stage(
        restApiId=api.id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": first}],
    )
    rolled_back = emu.http("GET", api.url("/notes"))

    assert [r.body for r in (prod_before, beta, prod_after, rolled_back)] == [
        b"old",
        b"new",
        b"new",
        b"old",
    ]


def test_redeploying_to_a_stage_keeps_its_variables(emu: Emulation, lambdas: FakeLambda) -> None:
    create_function(lambdas, "blue", answer("blue"))
    allow_apigateway("blue")
    api = RestApi()
    api.proxy("/color", "GET", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:${{stageVariables.fn}}")
    api.apigw.create_deployment(restApiId=api.id, stageName="prod", variables={"fn": "blue"})
    api.apigw.update_stage(
        restApiId=api.id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/variables/team", "value": "web"}],
    )

    second = api.apigw.create_deployment(restApiId=api.id, stageName="prod")["id"]
    stage = api.apigw.get_stage(restApiId=api.id, stageName="prod")
    response = emu.http("GET", api.url("/color"))

    assert (stage["deploymentId"], stage["variables"]) == (second, {"fn": "blue", "team": "web"})
    assert (response.status, response.body) == (200, b"blue")


def test_snapshot_lives_on_moto_deployment_and_a_reset_clears_it(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, _ = notes
    rest = apigateway_backends[ACCOUNT][REGION].apis[api.id]
    (deployment,) = rest.deployments.values()
    assert getattr(deployment, SNAPSHOT).resources[api.resource("/notes")].path == "/notes"

    BackendDict.reset()

    assert apigateway_backends[ACCOUNT][REGION].apis == {}


def test_update_method_attaches_and_detaches_an_authorizer(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, _ = notes
    authorizer, _ = _cognito_authorizer(api)
    resource = api.resource("/notes")

    attached = api.apigw.update_method(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"},
            {"op": "replace", "path": "/authorizerId", "value": authorizer},
            {"op": "add", "path": "/authorizationScopes", "value": "notes/read"},
            {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
        ],
    )
    stored = api.apigw.get_method(restApiId=api.id, resourceId=resource, httpMethod="GET")
    api.apigw.update_method(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "NONE"},
            {"op": "remove", "path": "/authorizationScopes", "value": "notes/read"},
            {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
        ],
    )
    api.deploy()
    open_again = emu.http("GET", api.url("/notes"))

    expected = {
        "authorizationType": "COGNITO_USER_POOLS",
        "authorizerId": authorizer,
        "authorizationScopes": ["notes/read"],
        "apiKeyRequired": True,
    }
    assert {k: attached[k] for k in expected} == expected
    assert {k: stored[k] for k in expected} == expected
    assert (open_again.status, open_again.body) == (200, b"old")


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        (
            [{"op": "replace", "path": "/authorizationType", "value": "CUSTOM"}],
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
            "COGNITO_USER_POOLS requires a valid authorizer.",
        ),
        (
            [{"op": "replace", "path": "/authorizationType", "value": "COGNITO"}],
            "Invalid authorization type 'COGNITO': one of NONE, AWS_IAM, CUSTOM, "
            "COGNITO_USER_POOLS",
        ),
        (
            [{"op": "replace", "path": "/httpMethod", "value": "POST"}],
            "Invalid patch path /httpMethod",
        ),
    ],
)
def test_update_method_refuses_bad_patches_and_changes_nothing(
    emu: Emulation, notes: tuple[RestApi, str], operations: list[dict[str, str]], message: str
) -> None:
    api, _ = notes
    resource = api.resource("/notes")

    with pytest.raises(ClientError) as caught:
        api.apigw.update_method(
            restApiId=api.id,
            resourceId=resource,
            httpMethod="GET",
            patchOperations=[
                {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
                *operations,
            ],
        )

    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert caught.value.response["Error"]["Message"].startswith(message)
    method = api.apigw.get_method(restApiId=api.id, resourceId=resource, httpMethod="GET")
    assert (method["authorizationType"], method["apiKeyRequired"]) == ("NONE", False)


def test_update_method_needs_type_and_authorizer_in_one_request(
    emu: Emulation, notes: tuple[RestApi, str]
) -> None:
    api, _ = notes
    authorizer, _ = _cognito_authorizer(api)
    resource = api.resource("/notes")

    def patch(*operations: dict[str, str]) -> dict[str, Any]:
        return api.apigw.update_method(
            restApiId=api.id, resourceId=resource, httpMethod="GET", patchOperations=operations
        )

    ignored = patch({"op": "replace", "path": "/authorizerId", "value": authorizer})
    with pytest.raises(ClientError) as caught:
        patch({"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"})

    assert (ignored["authorizationType"], ignored.get("authorizerId")) == ("NONE", None)
    assert caught.value.response["Error"]["Message"].startswith("Invalid authorizer ID specified")


def test_second_put_method_conflicts(emu: Emulation, notes: tuple[RestApi, str]) -> None:
    api, _ = notes

    with pytest.raises(ClientError) as caught:
        api.apigw.put_method(
            restApiId=api.id,
            resourceId=api.resource("/notes"),
            httpMethod="GET",
            authorizationType="AWS_IAM",
        )

    assert caught.value.response["Error"] == {
        "Code": "ConflictException",
        "Message": "Method already exists for this resource",
    }
    method = api.apigw.get_method(
        restApiId=api.id, resourceId=api.resource("/notes"), httpMethod="GET"
    )
    assert method["authorizationType"] == "NONE"
    assert method["methodIntegration"]["type"] == "AWS_PROXY"


@pytest.mark.parametrize("integration_method", ["GET", "ANY"])
def test_lambda_proxy_integration_with_a_method_other_than_post_answers_500(
    emu: Emulation, lambdas: FakeLambda, integration_method: str
) -> None:
    arn = create_function(lambdas, "fn", answer("ran"))
    allow_apigateway("fn")
    api = RestApi()
    resource = api.resource("/items")
    api.apigw.put_method(
        restApiId=api.id, resourceId=resource, httpMethod="GET", authorizationType="NONE"
    )
    api.apigw.put_integration(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod=integration_method,
        uri=integration_uri(arn),
    )
    api.deploy()

    response = emu.http("GET", api.url("/items"))

    assert (response.status, response.json()) == (500, {"message": "Internal server error"})
    assert lambdas.calls == []


def test_openapi_merge_is_not_refused_as_a_second_put_method(emu: Emulation) -> None:
    apigw = RestApi().apigw
    doc = {
        "openapi": "3.0.1",
        "info": {"title": "merged", "description": "imported twice", "version": "1"},
        "paths": {"/": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }
    api_id = apigw.import_rest_api(body=json.dumps(doc).encode())["id"]

    apigw.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(doc).encode())

    root = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    assert set(root["resourceMethods"]) == {"GET"}
