"""Checks for the least-privilege execution role lab.

The role's documents are evaluated here with a small subset of IAM's rules (Allow/Deny,
Action/NotAction, Resource/NotResource, `*` and `?` wildcards, explicit Deny wins); the
emulated account stores IAM policies but does not enforce them."""

import json
from fnmatch import fnmatchcase
from urllib.parse import unquote

from labs.sandbox.checker import check

ROLE = "orders-reader-role"
FUNCTION = "orders-reader"
TABLE = "Orders"
NEEDED = {"dynamodb:getitem", "dynamodb:query"}


def _doc(value) -> dict:
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(ctx) -> list[dict]:
    iam = ctx.client("iam")
    docs = []
    for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
        docs.append(_doc(iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]))
    for attached in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
        docs.append(_doc(document["Document"]))
    return [s for d in docs for s in _as_list(d.get("Statement"))]


def _matches(statement: dict, action: str, resource: str) -> bool:
    def action_hit(patterns):
        return any(fnmatchcase(action.lower(), p.lower()) for p in _as_list(patterns))

    def resource_hit(patterns):
        return any(fnmatchcase(resource, p) for p in _as_list(patterns))

    if "NotAction" in statement:
        action_ok = not action_hit(statement["NotAction"])
    else:
        action_ok = action_hit(statement.get("Action"))
    if "NotResource" in statement:
        resource_ok = not resource_hit(statement["NotResource"])
    else:
        resource_ok = resource_hit(statement.get("Resource"))
    return action_ok and resource_ok


def allowed(statements: list[dict], action: str, resource: str) -> bool:
    hits = [s for s in statements if _matches(s, action, resource)]
    if any(s.get("Effect") == "Deny" for s in hits):
        return False
    return any(s.get("Effect") == "Allow" for s in hits)


def _arns(ctx) -> dict[str, str]:
    base = f"{ctx.region}:{ctx.account_id}"
    log_group = f"arn:aws:logs:{base}:log-group:/aws/lambda/{FUNCTION}"
    return {
        "table": f"arn:aws:dynamodb:{base}:table/{TABLE}",
        "other_table": f"arn:aws:dynamodb:{base}:table/Payments",
        "index": f"arn:aws:dynamodb:{base}:table/{TABLE}/index/by-date",
        "log_group": log_group,
        "log_stream": f"{log_group}:log-stream:2026/01/01/[$LATEST]abc",
        "other_stream": f"arn:aws:logs:{base}:log-group:/aws/lambda/payments:log-stream:x",
    }


@check(
    "Only Lambda can assume orders-reader-role",
    points=2,
    hint=(
        "The trust policy needs one Allow statement for `sts:AssumeRole` with "
        "`Principal: {'Service': 'lambda.amazonaws.com'}` and no other principal."
    ),
)
def trust_policy(ctx):
    role = ctx.client("iam").get_role(RoleName=ROLE)["Role"]
    statements = _as_list(_doc(role["AssumeRolePolicyDocument"]).get("Statement"))
    principals = []
    lambda_allowed = False
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        ctx.require(
            "NotPrincipal" not in statement,
            "NotPrincipal in a trust policy lets every principal you did not list assume it.",
        )
        principal = statement.get("Principal")
        ctx.require(principal != "*", "The trust policy lets anyone (`*`) assume the role.")
        for kind, values in (principal or {}).items():
            principals += [f"{kind}:{v}" for v in _as_list(values)]
        if "Service:lambda.amazonaws.com" in principals and any(
            fnmatchcase("sts:assumerole", a.lower()) for a in _as_list(statement.get("Action"))
        ):
            lambda_allowed = True
    ctx.require(lambda_allowed, "Lambda is not allowed to call sts:AssumeRole on this role.")
    extra = sorted(set(principals) - {"Service:lambda.amazonaws.com"})
    ctx.require(not extra, f"Other principals can also assume the role: {', '.join(extra)}.")
    return "Only lambda.amazonaws.com can assume the role."


@check(
    "orders-reader runs with the role and reads orders",
    points=2,
    hint="Pass the role's ARN as `Role` and keep the handler and TABLE_NAME as in the starter.",
)
def function_works(ctx):
    role_arn = ctx.client("iam").get_role(RoleName=ROLE)["Role"]["Arn"]
    config = ctx.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    ctx.require(
        config["Role"] == role_arn,
        f"The function uses {config['Role']}, not {ROLE}.",
    )
    ctx.client("dynamodb").put_item(
        TableName=TABLE,
        Item={"customerId": {"S": "grader"}, "orderId": {"S": "o-1"}, "total": {"N": "5"}},
    )
    outcome = ctx.invoke(FUNCTION, json.dumps({"customerId": "grader"}).encode())
    ctx.require(
        outcome.function_error is None,
        f"Invoking the function failed: {outcome.payload.decode(errors='replace')[:300]}",
    )
    orders = json.loads(outcome.payload).get("orders", [])
    ctx.require(
        [o.get("orderId") for o in orders] == ["o-1"],
        f"The function returned {orders!r} instead of the grader's one order.",
    )
    return "Invoked with a customer id, the function returned that customer's order."


@check(
    "The role allows GetItem and Query on the Orders table",
    points=2,
    hint="Allow `dynamodb:GetItem` and `dynamodb:Query` on the table's ARN.",
)
def needed_actions(ctx):
    statements = _statements(ctx)
    table = _arns(ctx)["table"]
    missing = [
        a for a in ("dynamodb:GetItem", "dynamodb:Query") if not allowed(statements, a, table)
    ]
    ctx.require(not missing, f"The function would be denied: {', '.join(missing)} on {table}.")


@check(
    "Nothing else in DynamoDB is allowed",
    points=4,
    after=["needed_actions"],
    hint=(
        "List the two actions by name and use the table's full ARN as the Resource: no "
        "`dynamodb:*`, no `*` resource, no `table/*`."
    ),
)
def nothing_else(ctx):
    statements = _statements(ctx)
    arns = _arns(ctx)
    probes = [
        ("dynamodb:PutItem", arns["table"]),
        ("dynamodb:DeleteItem", arns["table"]),
        ("dynamodb:Scan", arns["table"]),
        ("dynamodb:DeleteTable", arns["table"]),
        ("dynamodb:GetItem", arns["other_table"]),
        ("dynamodb:Query", arns["index"]),
        ("dynamodb:CreateTable", arns["other_table"]),
    ]
    too_much = [f"{a} on {r.rsplit(':', 1)[-1]}" for a, r in probes if allowed(statements, a, r)]
    wildcards = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action")) + _as_list(statement.get("NotAction"))
        dynamo = [a for a in actions if a.lower().startswith("dynamodb:") or a == "*"]
        if not dynamo:
            continue
        resources = _as_list(statement.get("Resource"))
        if "NotAction" in statement or any("*" in a for a in dynamo):
            wildcards.append(f"action {dynamo}")
        else:
            extra = sorted(a for a in dynamo if a.lower() not in NEEDED)
            if extra:
                wildcards.append(f"unused actions {extra}")
        if "NotResource" in statement or any("*" in r for r in resources):
            wildcards.append(f"resource {resources}")
        elif any(r != arns["table"] for r in resources):
            wildcards.append(f"other resources {[r for r in resources if r != arns['table']]}")
    problems = len(too_much) + len(wildcards)
    if problems:
        detail = "; ".join(filter(None, [", ".join(too_much), ", ".join(wildcards)]))
        ctx.partial(max(0, 4 - problems), f"The role allows more than the function uses: {detail}.")
    return "Only GetItem and Query on the Orders table are allowed."


@check(
    "Logs go only to the function's own log group",
    points=2,
    hint=(
        "Allow `logs:CreateLogStream` and `logs:PutLogEvents` on "
        "`arn:aws:logs:us-east-1:<account>:log-group:/aws/lambda/orders-reader:*`."
    ),
)
def own_logs(ctx):
    statements = _statements(ctx)
    arns = _arns(ctx)
    missing = [
        a
        for a in ("logs:CreateLogStream", "logs:PutLogEvents")
        if not allowed(statements, a, arns["log_stream"])
    ]
    ctx.require(not missing, f"The function could not write its logs: {', '.join(missing)} denied.")
    if allowed(statements, "logs:PutLogEvents", arns["other_stream"]) or allowed(
        statements, "logs:DeleteLogGroup", arns["log_group"]
    ):
        managed = [
            p["PolicyName"]
            for p in ctx.client("iam").list_attached_role_policies(RoleName=ROLE)[
                "AttachedPolicies"
            ]
            if ":iam::aws:policy/" in p["PolicyArn"]
        ]
        why = (
            f" The AWS managed {', '.join(managed)} is written for any function, so it grants "
            "on every resource."
            if managed
            else ""
        )
        ctx.partial(
            1,
            "The function can write its logs, but also into other functions' log groups or "
            f"beyond writing.{why}",
        )
    return "The function can write its own logs and nothing else in CloudWatch Logs."
