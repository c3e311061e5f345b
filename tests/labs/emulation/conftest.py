"""Fixtures for the emulation tests: moto in-process and a fake `invoke`.

TEST SEAM: `FakeLambda` stands in for L-core's runtime. It runs small Python handlers
defined in the tests, in this process, and answers with the same `InvokeOutcome` shapes
the real runtime produces (payload JSON; "Unhandled" plus an AWS-shaped error document when
the handler raises). The real runtime, isolation and end-to-end runs are tested by L-core
and L-content; here we test what API Gateway, the pollers and Cognito do around a call."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from labs.sandbox.contracts import InvokeOutcome
from labs.sandbox.emulation import Clock, Emulation, deactivate, install

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class FakeLambda:
    """invoke(function_name_or_arn, payload, qualifier) for handlers registered by name."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # (function name, qualifier) of each call, the qualifier taken from the argument or
    # from a qualified ARN: which version or alias the caller asked for.
    targets: list[tuple[str, str | None]] = field(default_factory=list)

    def register(self, name: str, handler: Handler) -> None:
        self.handlers[name] = handler

    def events(self, name: str) -> list[dict[str, Any]]:
        return [event for called, event in self.calls if called == name]

    def __call__(self, function: str, payload: bytes, qualifier: str | None) -> InvokeOutcome:
        name, _, in_arn = function.split(":function:")[-1].partition(":")
        self.targets.append((name, qualifier or in_arn or None))
        # The handler gets its own copy, so what it mutates does not rewrite the record.
        self.calls.append((name, json.loads(payload)))
        try:
            result = self.handlers[name](json.loads(payload))
        except Exception as exc:
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            return InvokeOutcome(200, json.dumps(error).encode(), function_error="Unhandled")
        raw = result if isinstance(result, bytes) else json.dumps(result).encode()
        return InvokeOutcome(200, raw)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def lambdas() -> FakeLambda:
    return FakeLambda()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(aws: None, lambdas: FakeLambda, clock: Clock) -> Iterator[Emulation]:
    yield install(lambdas, clock)
    # Other suites in this pytest process may expect plain moto.
    deactivate()


@functools.cache
def client(service: str) -> Any:
    # Building a client costs tens of milliseconds; moto's stubber is process-wide, so one
    # client per service serves every test's fresh mock_aws.
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_function(lambdas: FakeLambda, name: str, handler: Handler, *, timeout: int = 3) -> str:
    """A moto function (the record API Gateway and mappings look up) plus its handler."""
    iam = client("iam")
    try:
        iam.get_role(RoleName="lambda-role")
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")
    arn = client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE_ARN,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        Timeout=timeout,
    )["FunctionArn"]
    lambdas.register(name, handler)
    return arn


def allow_apigateway(name: str, source_arn: str | None = None, sid: str = "apigw") -> None:
    kwargs = {"SourceArn": source_arn} if source_arn else {}
    client("lambda").add_permission(
        FunctionName=name,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        **kwargs,
    )


def integration_uri(function_arn: str) -> str:
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


@dataclass(frozen=True)
class PoolUser:
    pool_id: str
    client_id: str
    id_token: str
    access_token: str

    @property
    def pool_arn(self) -> str:
        return f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{self.pool_id}"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"


def signed_in_user(pool_name: str = "members", username: str = "lena") -> PoolUser:
    """A confirmed user of a fresh pool, signed in with USER_PASSWORD_AUTH."""
    idp = client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=pool_name)["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.sign_up(ClientId=client_id, Username=username, Password="Passw0rd!long")
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Passw0rd!long"},
    )["AuthenticationResult"]
    return PoolUser(pool_id, client_id, tokens["IdToken"], tokens["AccessToken"])
