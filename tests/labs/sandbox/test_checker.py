"""The checker API end to end: checker_lab/checks.py graded through the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.sandbox import checker, engine

LAB = Path(__file__).parent / "checker_lab"

PROVISION = """
import io, json, zipfile
import boto3

lam = boto3.client("lambda")
apigw = boto3.client("apigateway")
role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
code = io.BytesIO()
with zipfile.ZipFile(code, "w") as archive:
    archive.writestr("app.py", "import json\\ndef handler(event, context):\\n"
                     "    return {'statusCode': 200, 'body': json.dumps({'message': 'hello ' + event['path']})}\\n")
fn = lam.create_function(FunctionName="hello", Runtime="python3.11", Role=role, Handler="app.handler",
                         Code={"ZipFile": code.getvalue()})["FunctionArn"]
api = apigw.create_rest_api(name="hello-api")["id"]
root = apigw.get_resources(restApiId=api)["items"][0]["id"]
resource = apigw.create_resource(restApiId=api, parentId=root, pathPart="hello")["id"]
apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}/invocations")
apigw.create_deployment(restApiId=api, stageName="prod")
lam.add_permission(FunctionName="hello", StatementId="apigw", Action="lambda:InvokeFunction",
                   Principal="apigateway.amazonaws.com")
print("ready")
"""


@pytest.fixture(scope="module")
def graded(sandbox) -> dict:
    return engine.grade(LAB, {"provision.py": PROVISION})


def by_name(result: dict) -> dict[str, dict]:
    return {check["name"]: check for check in result["checks"]}


def test_checks_run_in_file_order_and_scores_add_up(graded):
    assert graded["status"] == "graded"
    assert [check["name"] for check in graded["checks"]] == [
        "Reads the submission and its output",
        "Partial credit",
        "Plain failure uses the default hint",
        "Needs the failed one",
        "AWS errors are readable",
        "Bugs in a check fail only that check",
        "Over-generous partial is capped at the check's points",
        "API answers through the emulated gateway",
        "Account and region are the sandbox's",
    ]
    assert graded["max_score"] == 14
    assert graded["score"] == 1 + 1.5 + 2 + 2 + 1


def test_passing_check_returns_its_message_without_hint(graded):
    assert by_name(graded)["Reads the submission and its output"] == {
        "name": "Reads the submission and its output",
        "points": 1,
        "max_points": 1,
        "passed": True,
        "message": "Saw 1 files.",
        "hint": None,
    }


def test_partial_credit_with_its_own_hint(graded):
    assert by_name(graded)["Partial credit"] == {
        "name": "Partial credit",
        "points": 1.5,
        "max_points": 4,
        "passed": False,
        "message": "Half done.",
        "hint": "Finish the other half.",
    }


def test_require_failure_falls_back_to_the_check_hint_and_skips_dependents(graded):
    checks = by_name(graded)
    assert (
        checks["Plain failure uses the default hint"]["message"],
        checks["Plain failure uses the default hint"]["hint"],
    ) == (
        "Not there.",
        "default hint",
    )
    assert checks["Needs the failed one"] == {
        "name": "Needs the failed one",
        "points": 0,
        "max_points": 1,
        "passed": False,
        "message": "skipped: needs Plain failure uses the default hint",
        "hint": "fix the other first",
    }


def test_exceptions_fail_one_check_with_a_readable_message(graded):
    checks = by_name(graded)
    assert checks["AWS errors are readable"]["message"] == (
        "GetQueueUrl failed: AWS.SimpleQueueService.NonExistentQueue: "
        "The specified queue does not exist."
    )
    assert checks["Bugs in a check fail only that check"]["message"] == (
        "The check could not finish: KeyError: 'absent'"
    )
    capped = checks["Over-generous partial is capped at the check's points"]
    assert (capped["points"], capped["passed"]) == (2, True)


def test_ctx_http_reaches_the_learner_function_through_api_gateway(graded):
    check = by_name(graded)["API answers through the emulated gateway"]
    assert (check["passed"], check["message"]) == (True, "hello /hello")


def test_after_naming_an_unknown_check_is_an_authoring_error(tmp_path):
    (tmp_path / "checks.py").write_text(
        "from labs.sandbox.checker import check\n\n"
        "@check('B', points=1, after=['nope'])\ndef b(ctx):\n    pass\n"
    )
    with pytest.raises(
        checker.ChecksError, match=r"checks.py:3: check 'b' runs after unknown check 'nope'"
    ):
        checker.load_checks(tmp_path / "checks.py")


def test_check_decorator_validates_its_arguments():
    with pytest.raises(ValueError, match="non-empty name"):
        checker.check("")
    with pytest.raises(ValueError, match="points must be a positive number"):
        checker.check("x", points=0)


def test_missing_emulation_is_a_clear_error():
    ctx = checker.CheckContext(files={}, output="", invoke_fn=None, client_factory=None)
    with pytest.raises(checker.EmulationMissing, match=r"ctx.http needs the emulation layer"):
        ctx.http("GET", "https://x.execute-api.us-east-1.amazonaws.com/prod/")
