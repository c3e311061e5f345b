"""The shipped labs grade as intended, through the real sandbox engine (real moto, real
learner processes): the reference solution scores full marks, the starter fails exactly the
declared checks, and each typical mistake fails the intended check with the intended hint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from labs.sandbox.checker import load_checks
from labs.sandbox.engine import grade
from labs.submission_files import read_submission_dir

ROOT = Path(__file__).resolve().parents[3]
LABS_DIR = ROOT / "content" / "labs"
LAB_SLUGS = sorted(p.name for p in LABS_DIR.iterdir() if (p / "lab.md").is_file())

# Names of the checks each starter fails (display names, as learners see them).
STARTER_FAILURES: dict[str, set[str]] = {
    "dynamodb-table-design": {
        "Composite primary key customerId + orderId",
        "status-index answers the warehouse query",
        "Capacity is sized from the workload",
        "Abandoned carts expire with TTL on expiresAt",
        "The stream gives the indexer each new item",
    },
    "least-privilege-role": {
        "Nothing else in DynamoDB is allowed",
        "Logs go only to the function's own log group",
    },
    "lambda-alias-weighted": {
        "Versions 1 and 2 froze their greetings",
        "Each version answers with its own greeting",
        "live sends 10% of traffic to version 2",
        "Calls through live reach version 1 or 2, mostly 1",
    },
    "rest-api-lambda-proxy": {
        "GET /notes/{id} and POST /notes use Lambda proxy integration",
        "The API is deployed to the prod stage",
        "API Gateway may invoke notes-handler",
        "GET /prod/notes/42 answers 200 with the note id",
        "POST /prod/notes answers 201 with the new note",
    },
    "cognito-protected-api": {
        "A Cognito authorizer trusts notes-users",
        "GET /notes is protected by the authorizer",
        "Calls without a valid token get 401",
        "A signed-in user gets 200 and their own name back",
    },
    "sqs-lambda-dlq": {
        "orders-queue sends repeated failures to orders-dlq",
        "Visibility timeout is at least 6x the function timeout",
        "order-worker polls orders-queue and may report partial failures",
        "The handler reports only the broken record",
        "Good orders are saved once and broken ones end in orders-dlq",
    },
    "dynamodb-streams-lambda": {
        "Products streams the old and the new item",
        "product-auditor is fed by the Products stream",
        "An insert is audited with the new price",
        "An update is audited with the old and the new price",
        "A delete is audited with the last price",
    },
    "http-api-jwt": {
        "GET /me requires the JWT authorizer",
        "The JWT authorizer trusts the pool and the me-web client",
        "Calls without a token get 401",
        "Tokens issued for another app client get 401",
        "A signed-in caller gets 200 and their own claims",
    },
    "lambda-token-authorizer": {
        "GET /reports is guarded by a TOKEN authorizer backed by token-check",
        "No token: 401",
        "An unknown token: 401",
        "The blocked team's token: 403",
        "An allowed team's token: 200 and the backend knows the team",
    },
    "cognito-signup-trigger": {
        "partners runs partner-gate before each sign-up",
        "Only this pool may invoke partner-gate",
        "A partner address is confirmed and verified at once",
        "Other domains are refused with a clear message",
        "Look-alike domains are refused too",
    },
}

# What each starter earns: the checks it passes plus partial credit on the ones it fails.
STARTER_SCORES: dict[str, float] = {
    "dynamodb-table-design": 2,
    "least-privilege-role": 7,
    "lambda-alias-weighted": 2,
    "rest-api-lambda-proxy": 1,
    "cognito-protected-api": 2,
    "sqs-lambda-dlq": 3,
    "dynamodb-streams-lambda": 0,
    "http-api-jwt": 1,
    "lambda-token-authorizer": 0,
    "cognito-signup-trigger": 0,
}


@dataclass(frozen=True)
class Mistake:
    """A one-edit variant of a reference solution and the feedback it must produce."""

    slug: str
    label: str
    file: str
    old: str
    new: str
    failing: frozenset[str]
    check: str  # the check whose feedback teaches the fix
    hint: str  # text expected in that check's message or hint

    def __str__(self) -> str:
        return f"{self.slug}:{self.label}"


MISTAKES = [
    Mistake(
        "dynamodb-table-design",
        "capacity-rounded-after-multiplying",
        "provision.py",
        "READ_UNITS = 50 * math.ceil(7 / 4)",
        "READ_UNITS = math.ceil(50 * 7 / 4)",
        frozenset({"Capacity is sized from the workload"}),
        "Capacity is sized from the workload",
        "each 7 KB read uses 2 whole units",
    ),
    Mistake(
        "dynamodb-table-design",
        "stream-keys-only",
        "provision.py",
        '"StreamViewType": "NEW_IMAGE"',
        '"StreamViewType": "KEYS_ONLY"',
        frozenset({"The stream gives the indexer each new item"}),
        "The stream gives the indexer each new item",
        "StreamViewType='NEW_IMAGE'",
    ),
    Mistake(
        "least-privilege-role",
        "wildcard-dynamodb-actions",
        "provision.py",
        '"Action": ["dynamodb:GetItem", "dynamodb:Query"],',
        '"Action": "dynamodb:*",',
        frozenset({"Nothing else in DynamoDB is allowed"}),
        "Nothing else in DynamoDB is allowed",
        "no `dynamodb:*`",
    ),
    Mistake(
        "least-privilege-role",
        "second-trusted-service",
        "provision.py",
        '"Principal": {"Service": "lambda.amazonaws.com"},',
        '"Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},',
        frozenset({"Only Lambda can assume orders-reader-role"}),
        "Only Lambda can assume orders-reader-role",
        "Service:ec2.amazonaws.com",
    ),
    # AWS managed policies exist in the emulated account, and the grader reads them as IAM
    # would: the basic execution role is broad for logs, DynamoDB full access far too broad.
    Mistake(
        "least-privilege-role",
        "basic-execution-role-for-logs",
        "provision.py",
        'print("orders-reader deployed with a least-privilege role")',
        'iam.attach_role_policy(\n    RoleName="orders-reader-role",\n'
        '    PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",\n)\n',
        frozenset({"Logs go only to the function's own log group"}),
        "Logs go only to the function's own log group",
        "The AWS managed AWSLambdaBasicExecutionRole is written for any function",
    ),
    Mistake(
        "least-privilege-role",
        "dynamodb-full-access",
        "provision.py",
        'print("orders-reader deployed with a least-privilege role")',
        'iam.attach_role_policy(\n    RoleName="orders-reader-role",\n'
        '    PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",\n)\n',
        frozenset({"Nothing else in DynamoDB is allowed"}),
        "Nothing else in DynamoDB is allowed",
        "action ['dynamodb:*'], resource ['*']",
    ),
    Mistake(
        "lambda-alias-weighted",
        "weights-reversed",
        "provision.py",
        'FunctionVersion=v1,\n    RoutingConfig={"AdditionalVersionWeights": {v2: 0.1}},',
        'FunctionVersion=v2,\n    RoutingConfig={"AdditionalVersionWeights": {v1: 0.9}},',
        frozenset(
            {
                "live sends 10% of traffic to version 2",
                "Calls through live reach version 1 or 2, mostly 1",
            }
        ),
        "live sends 10% of traffic to version 2",
        "The split is reversed",
    ),
    Mistake(
        "lambda-alias-weighted",
        "stage-dropped-on-update",
        "provision.py",
        'Environment={"Variables": {"GREETING": "Howdy", "STAGE": "prod"}},',
        'Environment={"Variables": {"GREETING": "Howdy"}},',
        frozenset(
            {
                "greeter is configured with environment variables",
                "Versions 1 and 2 froze their greetings",
                "Each version answers with its own greeting",
                "live sends 10% of traffic to version 2",
                "Calls through live reach version 1 or 2, mostly 1",
            }
        ),
        "Versions 1 and 2 froze their greetings",
        "replaces the whole Variables map",
    ),
    Mistake(
        "rest-api-lambda-proxy",
        "forgot-invoke-permission",
        "provision.py",
        "lam.add_permission(",
        "dict(",
        frozenset(
            {
                "API Gateway may invoke notes-handler",
                "GET /prod/notes/42 answers 200 with the note id",
                "POST /prod/notes answers 201 with the new note",
            }
        ),
        "GET /prod/notes/42 answers 200 with the note id",
        "lambda.add_permission",
    ),
    Mistake(
        "cognito-protected-api",
        "method-left-open",
        "provision.py",
        'authorizationType="COGNITO_USER_POOLS",\n    authorizerId=authorizer["id"],',
        'authorizationType="NONE",',
        frozenset(
            {
                "GET /notes is protected by the authorizer",
                "Calls without a valid token get 401",
                "A signed-in user gets 200 and their own name back",
            }
        ),
        "GET /notes is protected by the authorizer",
        "authorizationType='COGNITO_USER_POOLS'",
    ),
    Mistake(
        "sqs-lambda-dlq",
        "visibility-below-six-times",
        "provision.py",
        '"VisibilityTimeout": str(6 * FUNCTION_TIMEOUT),',
        '"VisibilityTimeout": "30",',
        frozenset({"Visibility timeout is at least 6x the function timeout"}),
        "Visibility timeout is at least 6x the function timeout",
        "at least six times the function timeout",
    ),
    Mistake(
        "sqs-lambda-dlq",
        "raise-on-bad-record",
        "handler.py",
        '            failures.append({"itemIdentifier": record["messageId"]})\n            continue',
        "            raise",
        frozenset(
            {
                "The handler reports only the broken record",
                "Good orders are saved once and broken ones end in orders-dlq",
            }
        ),
        "The handler reports only the broken record",
        "do not raise",
    ),
    Mistake(
        "sqs-lambda-dlq",
        "visibility-shorter-than-function-timeout",
        "provision.py",
        '"VisibilityTimeout": str(6 * FUNCTION_TIMEOUT),',
        '"VisibilityTimeout": "5",',
        # AWS itself refuses the mapping, so nothing is delivered at all.
        frozenset(
            {
                "Visibility timeout is at least 6x the function timeout",
                "order-worker polls orders-queue and may report partial failures",
                "Good orders are saved once and broken ones end in orders-dlq",
            }
        ),
        "Visibility timeout is at least 6x the function timeout",
        "needs at least 60 s",
    ),
    Mistake(
        "sqs-lambda-dlq",
        "report-batch-item-failures-off",
        "provision.py",
        '    FunctionResponseTypes=["ReportBatchItemFailures"],\n',
        "",
        frozenset(
            {
                "order-worker polls orders-queue and may report partial failures",
                "Good orders are saved once and broken ones end in orders-dlq",
            }
        ),
        "Good orders are saved once and broken ones end in orders-dlq",
        "without ReportBatchItemFailures, Lambda ignores the failures",
    ),
    Mistake(
        "dynamodb-streams-lambda",
        "new-image-only",
        "provision.py",
        '"StreamViewType": "NEW_AND_OLD_IMAGES"',
        '"StreamViewType": "NEW_IMAGE"',
        frozenset(
            {
                "Products streams the old and the new item",
                "An update is audited with the old and the new price",
                "A delete is audited with the last price",
            }
        ),
        "Products streams the old and the new item",
        "cannot see both the price before and after",
    ),
    Mistake(
        "http-api-jwt",
        "audience-is-client-name",
        "provision.py",
        '"Audience": [client["ClientId"]],',
        '"Audience": [client["ClientName"]],',
        frozenset(
            {
                "The JWT authorizer trusts the pool and the me-web client",
                "Tokens issued for another app client get 401",
                "A signed-in caller gets 200 and their own claims",
            }
        ),
        "The JWT authorizer trusts the pool and the me-web client",
        "does not contain the me-web client id",
    ),
    Mistake(
        "http-api-jwt",
        "forgot-invoke-permission",
        "provision.py",
        "lam.add_permission(",
        "dict(",
        frozenset({"A signed-in caller gets 200 and their own claims"}),
        "A signed-in caller gets 200 and their own claims",
        "add lambda.add_permission",
    ),
    Mistake(
        "cognito-protected-api",
        "client-with-secret",
        "provision.py",
        "GenerateSecret=False,",
        "GenerateSecret=True,",
        frozenset(
            {
                "notes-web can sign users in with a password",
                "A signed-in user gets 200 and their own name back",
            }
        ),
        "notes-web can sign users in with a password",
        "SECRET_HASH",
    ),
    Mistake(
        "lambda-token-authorizer",
        "forgot-authorizer-permission",
        "provision.py",
        'allow_api_gateway("token-check", api_id)\n',
        "",
        frozenset(
            {
                "An unknown token: 401",
                "The blocked team's token: 403",
                "An allowed team's token: 200 and the backend knows the team",
            }
        ),
        "An allowed team's token: 200 and the backend knows the team",
        "may invoke token-check (lambda.add_permission)",
    ),
    Mistake(
        "lambda-token-authorizer",
        "wrong-refusal-message",
        "authorizer.py",
        'raise Exception("Unauthorized")',
        'raise Exception("unknown token")',
        frozenset({"An unknown token: 401"}),
        "An unknown token: 401",
        "raises exactly Exception('Unauthorized')",
    ),
    Mistake(
        "cognito-signup-trigger",
        "domain-compared-by-suffix",
        "handler.py",
        'domain = email.rpartition("@")[2].lower()\n    if domain != ALLOWED_DOMAIN:',
        "if not email.lower().endswith(ALLOWED_DOMAIN):",
        frozenset({"Look-alike domains are refused too"}),
        "Look-alike domains are refused too",
        "not the end of the address",
    ),
    Mistake(
        "cognito-signup-trigger",
        "permission-for-any-pool",
        "provision.py",
        '    SourceArn=pool["Arn"],\n',
        "",
        frozenset({"Only this pool may invoke partner-gate"}),
        "Only this pool may invoke partner-gate",
        "set SourceArn",
    ),
]


# The authorizer is attached with update_method after the only deployment: the stage keeps
# serving the open method, so anonymous calls still reach the function.
_PROTECTED_THEN_DEPLOYED = """    authorizationType="COGNITO_USER_POOLS",
    authorizerId=authorizer["id"],
)
apigw.put_integration(
    restApiId=api_id,
    resourceId=notes["id"],
    httpMethod="GET",
    type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"{function['FunctionArn']}/invocations",
)
apigw.create_deployment(restApiId=api_id, stageName="prod")
"""
_DEPLOYED_THEN_PROTECTED = """    authorizationType="NONE",
)
apigw.put_integration(
    restApiId=api_id,
    resourceId=notes["id"],
    httpMethod="GET",
    type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"{function['FunctionArn']}/invocations",
)
apigw.create_deployment(restApiId=api_id, stageName="prod")
apigw.update_method(
    restApiId=api_id,
    resourceId=notes["id"],
    httpMethod="GET",
    patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"},
        {"op": "replace", "path": "/authorizerId", "value": authorizer["id"]},
    ],
)
"""

# Typical mistakes that depend on AWS behaviour the emulation layer reproduces: stages serve
# their deployment's snapshot, Lambda is invoked with POST only, and Cognito needs a
# resource-policy statement to call a trigger.
MISTAKES += [
    Mistake(
        "cognito-protected-api",
        "forgot-to-redeploy-after-attaching-the-authorizer",
        "provision.py",
        _PROTECTED_THEN_DEPLOYED,
        _DEPLOYED_THEN_PROTECTED,
        frozenset(
            {
                "Calls without a valid token get 401",
                "A signed-in user gets 200 and their own name back",
            }
        ),
        "Calls without a valid token get 401",
        "deploy again",
    ),
    Mistake(
        "rest-api-lambda-proxy",
        "integration-method-get",
        "provision.py",
        'integrationHttpMethod="POST",',
        'integrationHttpMethod="GET",',
        frozenset(
            {
                "GET /notes/{id} and POST /notes use Lambda proxy integration",
                "GET /prod/notes/42 answers 200 with the note id",
                "POST /prod/notes answers 201 with the new note",
            }
        ),
        "GET /prod/notes/42 answers 200 with the note id",
        "Lambda's Invoke API only accepts POST",
    ),
    Mistake(
        "cognito-signup-trigger",
        "forgot-cognito-permission",
        "provision.py",
        "lam.add_permission(",
        "dict(",
        frozenset(
            {
                "Only this pool may invoke partner-gate",
                "A partner address is confirmed and verified at once",
                "Other domains are refused with a clear message",
                "Look-alike domains are refused too",
            }
        ),
        "Other domains are refused with a clear message",
        "Cognito may not invoke partner-gate",
    ),
]


def load_submission(directory: Path) -> dict[str, str]:
    # The same reader (and limits) the import and grade_lab use for lab folders.
    return read_submission_dir(directory)


def failing(result: dict) -> set[str]:
    return {c["name"] for c in result["checks"] if not c["passed"]}


def explain(result: dict) -> str:
    """Everything needed to see why a grade is not the expected one."""
    lines = [f"status={result['status']} score={result['score']}/{result['max_score']}"]
    lines += [
        f"{'ok ' if c['passed'] else 'BAD'} {c['points']}/{c['max_points']} {c['name']}: "
        f"{c['message']} | {c['hint']}"
        for c in result["checks"]
    ]
    lines.append(f"output: {result['output'][-2000:]}")
    return "\n".join(lines)


def front_matter(slug: str) -> dict:
    text = (LABS_DIR / slug / "lab.md").read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert match, f"{slug}/lab.md has no front matter"
    return {**yaml.safe_load(match.group(1)), "body": match.group(2)}


def course_lesson_slugs() -> set[str]:
    outline = yaml.safe_load((ROOT / "content" / "course.yaml").read_text(encoding="utf-8"))
    return {lesson["slug"] for lesson in outline["lessons"]}


def test_every_lab_folder_has_declared_expectations():
    assert len(LAB_SLUGS) >= 8
    assert set(STARTER_FAILURES) == set(STARTER_SCORES) == set(LAB_SLUGS)
    assert {m.slug for m in MISTAKES} == set(LAB_SLUGS)


@pytest.mark.parametrize("slug", LAB_SLUGS)
def test_lab_front_matter_links_real_lessons(slug):
    meta = front_matter(slug)
    assert meta["title"].strip()
    assert meta["summary"].strip()
    assert isinstance(meta["minutes"], int) and 5 <= meta["minutes"] <= 90
    assert isinstance(meta["order"], int)
    assert meta["lessons"], f"{slug} links no lesson"
    assert set(meta["lessons"]) <= course_lesson_slugs()
    assert "## Goal" in meta["body"] and "## Steps" in meta["body"]


def test_labs_have_distinct_orders():
    orders = sorted(front_matter(slug)["order"] for slug in LAB_SLUGS)
    assert orders == list(range(1, len(LAB_SLUGS) + 1))


@pytest.mark.parametrize("slug", LAB_SLUGS)
def test_check_names_are_distinct_and_hinted(slug):
    checks = load_checks(LABS_DIR / slug / "checks.py")
    names = [spec.name for spec in checks]
    assert len(names) == len(set(names))
    assert all(spec.hint for spec in checks), f"{slug}: every check needs a default hint"


@pytest.mark.parametrize("slug", LAB_SLUGS)
def test_lab_folder_is_complete(slug):
    folder = LABS_DIR / slug
    assert (folder / "checks.py").is_file()
    for side in ("starter", "solution"):
        files = load_submission(folder / side)
        assert "provision.py" in files
        assert set(files) == set(load_submission(folder / "solution")), (
            f"{slug}: starter and solution should contain the same files"
        )


@pytest.mark.parametrize("slug", LAB_SLUGS)
def test_reference_solution_scores_full_marks(slug):
    result = grade(LABS_DIR / slug, load_submission(LABS_DIR / slug / "solution"))
    assert result["status"] == "graded", explain(result)
    assert result["max_score"] > 0
    assert result["score"] == result["max_score"], explain(result)
    assert all(c["passed"] for c in result["checks"]), explain(result)


@pytest.mark.parametrize("slug", LAB_SLUGS)
def test_starter_fails_exactly_the_expected_checks(slug):
    result = grade(LABS_DIR / slug, load_submission(LABS_DIR / slug / "starter"))
    assert result["status"] == "graded", explain(result)
    assert failing(result) == STARTER_FAILURES[slug], explain(result)
    assert result["score"] == STARTER_SCORES[slug] < result["max_score"], explain(result)
    for check in result["checks"]:
        if not check["passed"]:
            assert check["hint"], f"{check['name']} fails without a hint"


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_typical_mistake_gets_the_intended_feedback(mistake):
    files = load_submission(LABS_DIR / mistake.slug / "solution")
    assert files[mistake.file].count(mistake.old) == 1, f"{mistake}: edit target not found once"
    files[mistake.file] = files[mistake.file].replace(mistake.old, mistake.new)

    result = grade(LABS_DIR / mistake.slug, files)

    assert result["status"] == "graded", explain(result)
    assert failing(result) == mistake.failing, explain(result)
    feedback = next(c for c in result["checks"] if c["name"] == mistake.check)
    assert mistake.hint in f"{feedback['message']} {feedback['hint']}", explain(result)
