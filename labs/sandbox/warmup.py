"""State the host zygote prepares once so each forked trusted host starts warm: moto's
mock switched on and exercised (its service modules are imported lazily on first use),
boto3 clients for the checks, the emulation layer imported, our Lambda hook installed.

`fresh_account()` runs first in every trusted host: it resets every moto backend, so a
table created by one submission can never be seen by the next; the host zygote itself never
serves a submission, and each trusted host is a new fork, so no cache of ours carries over.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import os
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.core.base_backend import BackendDict

from labs.sandbox import lambda_runtime
from labs.sandbox.contracts import InvokeFn

REGION = "us-east-1"
SERVICES = (
    "dynamodb",
    "dynamodbstreams",
    "lambda",
    "iam",
    "sqs",
    "apigateway",
    "apigatewayv2",
    "cognito-idp",
    "logs",
    "sts",
)

# botocore 1.44 would send calls naming an ARN with an account (DynamoDB Streams' StreamArn)
# to {account}.ddb.{region}.amazonaws.com, which moto 5.2.5 does not serve.
CLIENT_CONFIG = Config(account_id_endpoint_mode="disabled")

_mock: Any = None
_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}
_emulation_module: Any = None
emulation_problem: str | None = None


BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
_aws_policies: dict[tuple[str, str], list[Any]] = {}


def share_aws_managed_policies() -> None:
    """Give every IAM backend AWS's managed policies (AWSLambdaBasicExecutionRole,
    AmazonDynamoDBReadOnlyAccess, ...), which tutorials attach and moto leaves out unless
    asked. Building moto's ~1,600 of them costs 65-100 ms per backend, moto makes one
    backend per partition (six), and every trusted host starts with fresh backends; so they
    are built once, for the `aws` partition only, here in the host zygote, and each forked
    host's backend takes the same objects. A host mutating one (an attachment count)
    changes only its own copy-on-write pages."""
    from moto.iam.models import IAMBackend

    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    original = IAMBackend._init_aws_policies
    if getattr(original, "__shared__", False):
        return

    def shared(self: Any) -> list[Any]:
        if self.region_name != "aws":
            # moto creates an IAM backend per partition (aws-cn, aws-us-gov, ...) whenever
            # an account is touched; the sandbox is in `aws`, so the others stay empty.
            return []
        key = (self.account_id, self.region_name)
        if key not in _aws_policies:
            _aws_policies[key] = original(self)
        return list(_aws_policies[key])

    shared.__shared__ = True  # type: ignore[attr-defined]
    IAMBackend._init_aws_policies = shared  # type: ignore[method-assign]


def prepare() -> None:
    """Called once in the host zygote, before it forks any trusted host."""
    global _mock, _session, emulation_problem, _emulation_module
    lambda_runtime.install_moto_hook()
    share_aws_managed_policies()
    _mock = mock_aws()
    _mock.start()
    _session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the emulator's fake credentials
        region_name=REGION,
    )
    for service in SERVICES:
        _clients[service] = _session.client(service, region_name=REGION, config=CLIENT_CONFIG)
    try:
        _emulation_module = importlib.import_module("labs.sandbox.emulation")
        if not hasattr(_emulation_module, "install"):
            emulation_problem = "labs.sandbox.emulation has no install()"
            _emulation_module = None
    except ImportError as exc:
        emulation_problem = f"labs.sandbox.emulation is not available: {exc}"
    if _emulation_module is not None:
        # Hooks and the Cognito key cache are set up here so every forked host inherits
        # them; a cache filled inside a trusted host would die with it.
        prewarm = getattr(_emulation_module, "prewarm", None)
        if callable(prewarm):
            prewarm()
    _exercise()
    fresh_account()
    gc.collect()
    gc.freeze()  # forked hosts then do not copy the zygote's pages when they collect


def _exercise() -> None:
    """Walk through what labs do once, so moto imports its models, URL maps and crypto here
    rather than in every run; the account is reset afterwards."""
    c = _clients
    role = "arn:aws:iam::123456789012:role/warm"
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    key = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    calls: list[Callable[[], Any]] = [
        lambda: c["dynamodb"].create_table(
            TableName="warm",
            KeySchema=key,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        ),
        lambda: c["dynamodb"].put_item(TableName="warm", Item={"pk": {"S": "x"}}),
        lambda: c["dynamodb"].query(
            TableName="warm",
            KeyConditionExpression="pk = :v",
            ExpressionAttributeValues={":v": {"S": "x"}},
        ),
        lambda: c["dynamodb"].describe_time_to_live(TableName="warm"),
        lambda: c["dynamodbstreams"].list_streams(),
        lambda: c["dynamodbstreams"].describe_stream(
            StreamArn=c["dynamodb"].describe_table(TableName="warm")["Table"]["LatestStreamArn"]
        ),
        lambda: c["iam"].create_role(RoleName="warm", AssumeRolePolicyDocument="{}"),
        lambda: c["iam"].put_role_policy(RoleName="warm", PolicyName="p", PolicyDocument="{}"),
        lambda: c["iam"].attach_role_policy(RoleName="warm", PolicyArn=BASIC_EXECUTION),
        lambda: c["iam"].list_attached_role_policies(RoleName="warm"),
        # The policy objects are shared with every forked host: leave the count at zero.
        lambda: c["iam"].detach_role_policy(RoleName="warm", PolicyArn=BASIC_EXECUTION),
        lambda: c["lambda"].create_function(
            FunctionName="warm",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code.getvalue()},
        ),
        lambda: c["lambda"].publish_version(FunctionName="warm"),
        lambda: c["lambda"].create_alias(FunctionName="warm", Name="live", FunctionVersion="1"),
        lambda: c["lambda"].add_permission(
            FunctionName="warm",
            StatementId="s",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        ),
        lambda: c["lambda"].get_policy(FunctionName="warm"),
        lambda: c["sqs"].create_queue(QueueName="warm"),
        lambda: c["sqs"].get_queue_attributes(
            QueueUrl=c["sqs"].get_queue_url(QueueName="warm")["QueueUrl"], AttributeNames=["All"]
        ),
        lambda: c["apigateway"].create_rest_api(name="warm"),
        lambda: c["apigateway"].get_rest_apis(),
        lambda: c["apigatewayv2"].create_api(Name="warm", ProtocolType="HTTP"),
        lambda: c["apigatewayv2"].get_apis(),
        lambda: _warm_cognito(),
        lambda: c["logs"].describe_log_groups(),
        lambda: c["sts"].get_caller_identity(),
    ]
    for call in calls:
        with contextlib.suppress(Exception):
            call()


def _warm_cognito() -> None:
    idp = _clients["cognito-idp"]
    pool = idp.create_user_pool(PoolName="warm")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="warm", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.sign_up(ClientId=client, Username="warm", Password="Warm-passw0rd!")  # noqa: S106
    idp.admin_confirm_sign_up(UserPoolId=pool, Username="warm")
    idp.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "warm", "PASSWORD": "Warm-passw0rd!"},
    )


def fresh_account() -> None:
    BackendDict.reset()


def client(service: str) -> Any:
    if service not in _clients:
        assert _session is not None
        _clients[service] = _session.client(service, region_name=REGION, config=CLIENT_CONFIG)
    return _clients[service]


def install_emulation(invoke: InvokeFn) -> Any:
    if _emulation_module is None:
        return None
    return _emulation_module.install(invoke)


def inventory() -> dict[str, list[dict[str, Any]]]:
    """The resources the run left in the account, for the learner's Run view."""
    found: dict[str, list[dict[str, Any]]] = {}

    def add(service: str, item: dict[str, Any]) -> None:
        found.setdefault(service, []).append(item)

    def backend(backends: Any, region: str = REGION) -> Any:
        # Only services the run touched have a backend; creating one just to list it is waste.
        account = backends.get(ACCOUNT) if hasattr(backends, "get") else None
        if account is None:
            return None
        return account.get(region) if hasattr(account, "get") else None

    # Each service is listed on its own: the inventory is for display, and a moto model
    # that changes shape must cost one section, never the grade.
    sections = (_dynamodb, _lambda, _iam, _sqs, _apis, _cognito)
    for section in sections:
        try:
            section(backend, add)
        except Exception as exc:
            add(
                "errors",
                {"type": "inventory", "name": section.__name__.strip("_"), "error": repr(exc)},
            )
    return found


def _dynamodb(backend: Any, add: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends

    if (ddb := backend(dynamodb_backends)) is not None:
        for table in ddb.tables.values():
            keys = {key["KeyType"]: key["AttributeName"] for key in table.schema}
            add(
                "dynamodb",
                {
                    "type": "table",
                    "name": table.name,
                    "partition_key": keys.get("HASH"),
                    "sort_key": keys.get("RANGE"),
                    "indexes": [index.name for index in table.global_indexes],
                },
            )


def _lambda(backend: Any, add: Any) -> None:
    from moto.awslambda.models import lambda_backends

    if (lam := backend(lambda_backends)) is not None:
        for fn in lam.list_functions():
            add(
                "lambda",
                {
                    "type": "function",
                    "name": fn.function_name,
                    "runtime": fn.run_time,
                    "handler": fn.handler,
                    "memory_mb": fn.memory_size,
                    "timeout_s": fn.timeout,
                },
            )
        for mapping in lam._event_source_mappings.values():
            add(
                "lambda",
                {
                    "type": "event-source-mapping",
                    "id": mapping.uuid,
                    "source": mapping.event_source_arn,
                },
            )


def _iam(backend: Any, add: Any) -> None:
    from moto.iam.models import iam_backends

    if (iam := backend(iam_backends, "aws")) is not None:
        for role in iam.roles.values():
            if not role.path.startswith("/aws-service-role/"):
                add("iam", {"type": "role", "name": role.name})
        for policy in iam.managed_policies.values():
            if ":aws:policy/" not in policy.arn:
                add("iam", {"type": "policy", "name": policy.name})


def _sqs(backend: Any, add: Any) -> None:
    from moto.sqs.models import sqs_backends

    if (sqs := backend(sqs_backends)) is not None:
        for queue in sqs.queues.values():
            add("sqs", {"type": "queue", "name": queue.name})


def _apis(backend: Any, add: Any) -> None:
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    if (apigw := backend(apigateway_backends)) is not None:
        for api in apigw.apis.values():
            add("apigateway", {"type": "rest-api", "id": api.id, "name": api.name})
    if (apigw2 := backend(apigatewayv2_backends)) is not None:
        for api in apigw2.apis.values():
            add(
                "apigatewayv2",
                {"type": "api", "id": api.api_id, "name": api.name, "protocol": api.protocol_type},
            )


def _cognito(backend: Any, add: Any) -> None:
    from moto.cognitoidp.models import cognitoidp_backends

    if (cognito := backend(cognitoidp_backends)) is not None:
        for pool in cognito.user_pools.values():
            add("cognito-idp", {"type": "user-pool", "id": pool.id, "name": pool.name})
