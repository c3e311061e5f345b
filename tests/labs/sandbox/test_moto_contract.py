"""Fails loudly when a moto or botocore upgrade moves what the sandbox hooks.

The sandbox depends on: every moto path that runs a function ending in
`LambdaFunction.invoke(body, request_headers, response_headers)`; moto answering requests
through `botocore_stubber.process_request`; service detection through
`backend_index.backend_url_patterns`; botocore copying `BUILTIN_HANDLERS` into sessions.
If one of these tests fails after an upgrade, re-check labs/sandbox/lambda_runtime.py,
host.py and learner.py before anything else."""

from __future__ import annotations

import inspect

import botocore
import botocore.handlers
import moto
import moto.awslambda.models as lambda_models
import moto.awslambda.responses as lambda_responses
from moto.core.models import botocore_stubber

from labs.sandbox import host, lambda_runtime


def test_pinned_versions_are_the_ones_the_hooks_were_written_for():
    assert (moto.__version__, botocore.__version__) == ("5.2.5", "1.44.5")


def test_lambda_function_invoke_has_the_hooked_signature():
    original = lambda_runtime._original or lambda_models.LambdaFunction.invoke
    assert list(inspect.signature(original).parameters) == [
        "self",
        "body",
        "request_headers",
        "response_headers",
    ]


def test_every_invocation_path_ends_in_lambda_function_invoke():
    backend_invoke = inspect.getsource(lambda_models.LambdaBackend.invoke)
    assert "fn.invoke(body, headers, response_headers)" in backend_invoke
    assert "fn.invoke(self.body, self.headers, response_headers)" in inspect.getsource(
        lambda_responses.LambdaResponse.invoke_async
    )
    # Event source mappings and SNS go through the backend helpers, which end there too.
    backend = lambda_models.LambdaBackend
    assert "self._send_sqs_message(" in inspect.getsource(backend.send_sqs_batch)
    assert "self.invoke(" in inspect.getsource(backend._send_sqs_message)
    for helper in (backend.send_dynamodb_items, backend.send_sns_message):
        assert "func.invoke(json.dumps(event), {}, {})" in inspect.getsource(helper)


def test_install_moto_hook_replaces_the_method():
    lambda_runtime.install_moto_hook()
    assert lambda_models.LambdaFunction.invoke is lambda_runtime._patched_invoke
    assert (lambda_models.LambdaFunction, "invoke") == lambda_runtime.HOOKED
    assert lambda_models.LambdaBackend.invoke is lambda_runtime._patched_backend_invoke
    assert lambda_responses.LambdaResponse.invoke is lambda_runtime._patched_response_invoke


def test_the_invoke_api_still_reads_the_qualifier_the_way_we_correct():
    # moto asks for "qualifier" (botocore sends "Qualifier") and hands it to the backend;
    # the backend swaps an alias for its primary version. When moto fixes the first, drop
    # _patched_response_invoke; both decide where lambda_runtime hooks the Invoke API.
    lambda_runtime.install_moto_hook()
    response_invoke = inspect.getsource(lambda_runtime._original_response_invoke)
    assert 'qualifier = self._get_param("qualifier")' in response_invoke
    assert "self.backend.invoke(" in response_invoke
    assert list(inspect.signature(lambda_runtime._original_backend_invoke).parameters) == [
        "self",
        "function_name",
        "qualifier",
        "body",
        "headers",
        "response_headers",
    ]


def test_stubber_and_url_patterns_still_exist():
    assert list(inspect.signature(botocore_stubber.process_request).parameters) == ["request"]
    services = {service for service, _ in moto.backend_index.backend_url_patterns}
    assert services >= host.ALLOWED_SERVICES
    assert host.service_of("https://motoapi.amazonaws.com/moto-api/reset") == "moto_api._internal"
    assert host.service_of("https://dynamodb.us-east-1.amazonaws.com/") == "dynamodb"
    assert host.service_of("https://lambda.us-east-1.amazonaws.com/2015-03-31/functions") == (
        "awslambda"
    )


def test_botocore_still_reads_builtin_handlers_when_a_session_is_created():
    assert isinstance(botocore.handlers.BUILTIN_HANDLERS, list)
    source = inspect.getsource(botocore.session.Session._register_builtin_handlers)
    assert "handlers.BUILTIN_HANDLERS" in source
