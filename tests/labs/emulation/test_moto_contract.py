"""The moto internals the emulation hooks or reads. If a moto upgrade moves or reshapes
any of them, these tests fail loudly and name the path: fix labs/sandbox/emulation/ first
(see hooks.HOOKED_PATHS) rather than trusting a silently bypassed hook."""

from __future__ import annotations

import inspect
from typing import Any

import moto
import pytest

from labs.sandbox.emulation.hooks import ADDED_PATHS, HOOKED_PATHS, install_hooks


def _original(obj: Any) -> Any:
    return getattr(obj, "__wrapped__", obj)


def _source(path: str) -> str:
    module_path, _, name = path.rpartition(".")
    try:
        owner: Any = __import__(module_path, fromlist=["x"])
    except ImportError:
        parent, _, cls = module_path.rpartition(".")
        owner = getattr(__import__(parent, fromlist=["x"]), cls)
    assert hasattr(owner, name), f"moto no longer has {path}"
    return inspect.getsource(_original(getattr(owner, name)))


def test_moto_version_is_the_one_the_hooks_were_written_for() -> None:
    assert moto.__version__ == "5.2.5", (
        "moto changed: re-read every path in labs/sandbox/emulation/hooks.py HOOKED_PATHS "
        "and this file, then update the pin"
    )


@pytest.mark.parametrize(
    ("path", "snippets"),
    [
        # SQS: time comes from these module functions; delivery-on-send loops the mappings.
        ("moto.sqs.models.Message.change_visibility", ["unix_time_millis()"]),
        ("moto.sqs.models.Message.delay", ["unix_time_millis()"]),
        (
            "moto.sqs.models.Queue.add_message",
            ["self.lambda_event_source_mappings", "send_sqs_batch"],
        ),
        (
            "moto.sqs.models.SQSBackend.receive_message",
            [
                "maxReceiveCount",
                "dead_letter_queue.add_message",
                "mark_received",
                "message_attribute_names",
            ],
        ),
        # Lambda: mappings are stored per backend; stream mappings hang off the table.
        (
            "moto.awslambda.models.LambdaBackend.create_event_source_mapping",
            ["self._event_source_mappings[esm.uuid]", "table.lambda_event_source_mappings"],
        ),
        (
            "moto.awslambda.models.EventSourceMapping.__init__",
            [
                "self.function_response_types",
                "self.bisect_on_error",
                "self.max_retry_attempts",
                "self.destination_config",
                "self.starting_position",
                "self.enabled",
            ],
        ),
        # DynamoDB streams: add() delivers and then clears the shard.
        (
            "moto.dynamodb.models.table.StreamShard.add",
            ["self.table.lambda_event_source_mappings", "send_dynamodb_items", "self.items = []"],
        ),
        ("moto.dynamodb.models.table.Table.set_stream_specification", ["self.stream_shard"]),
        # Cognito: the key import we cache and the calls we add triggers to.
        ("moto.cognitoidp.models.CognitoIdpUserPool.__init__", ["jwk.RSAKey.import_key"]),
        ("moto.cognitoidp.models.CognitoIdpBackend.sign_up", ["UserStatus.UNCONFIRMED"]),
        ("moto.cognitoidp.models.CognitoIdpBackend.confirm_sign_up", ["UserStatus.CONFIRMED"]),
        (
            "moto.cognitoidp.models.CognitoIdpBackend.admin_create_user",
            ["message_action", "FORCE_CHANGE_PASSWORD", "user_pool.users[user.username]"],
        ),
        ("moto.cognitoidp.models.CognitoIdpBackend.admin_confirm_sign_up", ["CONFIRMED"]),
        ("moto.cognitoidp.responses.CognitoIdpResponse.sign_up", ["UserConfirmed"]),
        ("moto.cognitoidp.models.CognitoIdpUserPool.create_jwt", ['"kid": "dummy"', "RS256"]),
        # API Gateway: deployments (we snapshot their methods) and the models we read.
        (
            "moto.apigateway.models.RestAPI.create_deployment",
            ["self, name: str, description: str, stage_variables", "self.stages[name] = Stage("],
        ),
        ("moto.apigateway.models.Stage.apply_operations", ['"/deploymentId"', "deployment_id"]),
        ("moto.apigateway.models.Resource.get_path", ["get_parent_path"]),
        (
            "moto.apigateway.models.Resource.__init__",
            ["self.resource_methods", "self.parent_id", "self.path_part"],
        ),
        (
            "moto.apigateway.responses.APIGatewayResponse.put_method",
            ["url_path_parts[2]", "url_path_parts[4]", "url_path_parts[6]"],
        ),
        # UpdateMethod is dispatched by name to the response class, where we add it.
        ("moto.core.responses.BaseResponse.call_action", ["getattr(self, action)"]),
        (
            "moto.apigateway.models.Method.__init__",
            [
                "self.authorization_type",
                "self.authorizer_id",
                "self.authorization_scopes",
                "self.api_key_required",
                "self.method_integration",
                "self.request_parameters",
                "self.request_models",
                "self.operation_name",
                "self.request_validator_id",
            ],
        ),
        (
            "moto.apigateway.models.Integration.__init__",
            ["self.integration_type", "self.uri", "self.http_method"],
        ),
        (
            "moto.apigateway.models.RestAPI.__init__",
            [
                "self.deployments",
                "self.authorizers",
                "self.stages",
                "self.resources",
                "self.root_resource_id",
                "self.api_key_source",
            ],
        ),
        (
            "moto.apigateway.models.Authorizer.__init__",
            [
                "self.provider_arns",
                "self.authorizer_uri",
                "self.identity_source",
                "self.identity_validation_expression",
                "self.authorizer_credentials",
            ],
        ),
        (
            "moto.apigateway.models.APIGatewayBackend.__init__",
            ["self.keys", "self.usage_plans", "self.usage_plan_keys"],
        ),
        (
            "moto.apigatewayv2.models.Route.__init__",
            [
                "self.route_key",
                "self.target",
                "self.authorization_type",
                "self.authorizer_id",
                "self.authorization_scopes",
            ],
        ),
        (
            "moto.apigatewayv2.models.Integration.__init__",
            ["self.integration_type", "self.integration_uri", "self.payload_format_version"],
        ),
        (
            "moto.apigatewayv2.models.Authorizer.__init__",
            [
                "self.jwt_config",
                "self.identity_source",
                "self.enable_simple_response",
                "self.auth_payload_format_version",
                "self.authorizer_uri",
            ],
        ),
        ("moto.apigatewayv2.models.Stage.__init__", ["self.stage_variables"]),
        ("moto.awslambda.policy.Policy.__init__", ["self.statements"]),
        # Weighted aliases and the alias a mapping was created for.
        (
            "moto.awslambda.models.LambdaAlias.__init__",
            ["self.routing_config", "self.function_version"],
        ),
        (
            "moto.awslambda.models.EventSourceMapping.__init__",
            ['self.function_name = spec["FunctionName"]'],
        ),
        ("moto.cognitoidp.models.CognitoIdpUserPool.__init__", ["self.arn"]),
        ("moto.awslambda.policy.Policy.source_arn_formatter", ["ArnLike", "AWS:SourceArn"]),
    ],
)
def test_hooked_and_read_moto_code_still_looks_as_expected(path: str, snippets: list[str]) -> None:
    source = _source(path)
    missing = [s for s in snippets if s not in source]
    assert missing == [], f"{path} changed: no longer contains {missing}"


def test_every_hooked_path_exists() -> None:
    for path in HOOKED_PATHS:
        module_path, _, name = path.rpartition(".")
        try:
            owner: Any = __import__(module_path, fromlist=["x"])
        except ImportError:
            parent, _, cls = module_path.rpartition(".")
            owner = getattr(__import__(parent, fromlist=["x"]), cls)
        assert hasattr(owner, name), f"moto no longer has {path}"


def test_operations_we_add_are_still_missing_from_moto() -> None:
    install_hooks()
    for path in ADDED_PATHS:
        module_path, _, name = path.rpartition(".")
        parent, _, cls = module_path.rpartition(".")
        owner = getattr(__import__(parent, fromlist=["x"]), cls)
        assert getattr(getattr(owner, name), "_coldstart_hook", False), (
            f"moto now implements {path}: drop ours from hooks.ADDED_PATHS"
        )


def test_sqs_models_take_time_from_the_module_functions_we_replace() -> None:
    import moto.sqs.models as sqs_models

    assert {"unix_time", "unix_time_millis"} <= set(vars(sqs_models))
    visible = inspect.getsource(sqs_models.Message.visible.fget)
    assert "unix_time_millis()" in visible
