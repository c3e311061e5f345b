"""Checks for the REST API with Lambda proxy integration lab."""

import json

from labs.sandbox.checker import check

API = "notes-api"
FUNCTION = "notes-handler"
STAGE = "prod"
PERMISSION_HINT = (
    "API Gateway answers 500 when it may not invoke the function: call "
    "lambda.add_permission(FunctionName='notes-handler', Action='lambda:InvokeFunction', "
    "Principal='apigateway.amazonaws.com', SourceArn=...)."
)


def _api_id(ctx) -> str:
    apis = ctx.client("apigateway").get_rest_apis()["items"]
    ids = [a["id"] for a in apis if a["name"] == API]
    ctx.require(ids, f"No REST API named {API!r} exists.")
    return ids[0]


def _resources(ctx, api_id: str) -> dict[str, dict]:
    items = ctx.client("apigateway").get_resources(restApiId=api_id)["items"]
    return {r["path"]: r for r in items}


def _url(ctx, path: str) -> str:
    return f"https://{_api_id(ctx)}.execute-api.{ctx.region}.amazonaws.com/{STAGE}{path}"


def _explain(response) -> str:
    """Turn an unexpected gateway answer into the likely cause."""
    if response.status == 500:
        return (
            f"{PERMISSION_HINT} An integration that calls Lambda with anything but POST "
            "(integrationHttpMethod) also gets 500: Lambda's Invoke API only accepts POST."
        )
    if response.status == 502:
        return (
            "502 means the function answered in a shape API Gateway cannot use: return a dict "
            "with statusCode, headers and a string body."
        )
    if response.status == 403:
        return (
            "403 Missing Authentication Token means no deployed method matches: check the "
            "method, the resource path and that the API was deployed to prod."
        )
    return "Check the handler's response for this method."


def _json(response) -> object:
    """The response body as JSON, or None when it is not JSON (the check then fails with
    the raw body in its message)."""
    try:
        return response.json()
    except ValueError:
        return None


@check(
    "notes-api has /notes and /notes/{id}",
    points=1,
    hint="Create the `notes` resource under the root and `{id}` under it.",
)
def resources(ctx):
    paths = _resources(ctx, _api_id(ctx))
    missing = [p for p in ("/notes", "/notes/{id}") if p not in paths]
    ctx.require(not missing, f"Missing resources: {', '.join(missing)}.")


@check(
    "GET /notes/{id} and POST /notes use Lambda proxy integration",
    points=2,
    after=["resources"],
    hint=(
        "put_integration(type='AWS_PROXY', integrationHttpMethod='POST', uri='arn:aws:"
        "apigateway:us-east-1:lambda:path/2015-03-31/functions/<function ARN>/invocations')"
    ),
)
def integrations(ctx):
    client = ctx.client("apigateway")
    api_id = _api_id(ctx)
    paths = _resources(ctx, api_id)
    function_arn = ctx.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"][
        "FunctionArn"
    ]
    earned, problems = 0, []
    for path, method in (("/notes/{id}", "GET"), ("/notes", "POST")):
        if method not in (paths[path].get("resourceMethods") or {}):
            problems.append(f"{method} {path} does not exist")
            continue
        integration = (
            client.get_method(restApiId=api_id, resourceId=paths[path]["id"], httpMethod=method)
        ).get("methodIntegration")
        if not integration:
            problems.append(f"{method} {path} has no integration")
        elif integration.get("type") != "AWS_PROXY":
            problems.append(f"{method} {path} uses a {integration.get('type')} integration")
        elif function_arn not in integration.get("uri", ""):
            problems.append(f"{method} {path} does not point at {FUNCTION}")
        elif integration.get("httpMethod") != "POST":
            problems.append(
                f"{method} {path} calls Lambda with {integration.get('httpMethod')}; "
                "Lambda's Invoke API only accepts POST"
            )
        else:
            earned += 1
    if problems:
        ctx.partial(earned, "; ".join(problems) + ".")


@check(
    "The API is deployed to the prod stage",
    points=1,
    after=["resources"],
    hint="apigateway.create_deployment(restApiId=api_id, stageName='prod')",
)
def stage(ctx):
    stages = ctx.client("apigateway").get_stages(restApiId=_api_id(ctx))["item"]
    found = [s for s in stages if s["stageName"] == STAGE]
    ctx.require(found, "The API has no prod stage, so no URL serves it yet.")
    ctx.require(found[0].get("deploymentId"), "The prod stage has no deployment.")


@check(
    "API Gateway may invoke notes-handler",
    points=1,
    hint=PERMISSION_HINT,
)
def permission(ctx):
    lam = ctx.client("lambda")
    try:
        policy = json.loads(lam.get_policy(FunctionName=FUNCTION)["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        policy = {"Statement": []}
    services = [
        s
        for s in policy["Statement"]
        if (s.get("Principal") or {}).get("Service") == "apigateway.amazonaws.com"
        and s.get("Effect") == "Allow"
    ]
    ctx.require(services, "The function's resource policy does not mention API Gateway.")


@check(
    "GET /prod/notes/42 answers 200 with the note id",
    points=3,
    after=["stage"],
    hint="Return statusCode 200 and json.dumps({'id': event['pathParameters']['id']}).",
)
def get_note(ctx):
    response = ctx.http("GET", _url(ctx, "/notes/42"))
    ctx.require(
        response.status == 200,
        f"GET /notes/42 answered {response.status}: {response.body[:200]!r}",
        hint=_explain(response),
    )
    ctx.require(_json(response) == {"id": "42"}, f"The body was {response.body[:200]!r}.")
    return 'GET /prod/notes/42 -> 200 {"id": "42"}'


@check(
    "POST /prod/notes answers 201 with the new note",
    points=2,
    after=["stage"],
    hint=(
        "Parse event['body'] with json.loads and answer statusCode 201 with "
        "Content-Type: application/json."
    ),
)
def post_note(ctx):
    response = ctx.http(
        "POST",
        _url(ctx, "/notes"),
        headers={"Content-Type": "application/json"},
        body=json.dumps({"text": "buy milk"}),
    )
    ctx.require(
        response.status == 201,
        f"POST /notes answered {response.status}: {response.body[:200]!r}",
        hint=_explain(response),
    )
    body = _json(response)
    body = body if isinstance(body, dict) else {}
    ctx.require(
        body.get("text") == "buy milk" and isinstance(body.get("id"), str) and body["id"],
        f"The body was {response.body[:200]!r}; expected an id and the text.",
    )
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    ctx.require(
        content_type.startswith("application/json"),
        f"Content-Type was {content_type or 'missing'}.",
    )
    return "POST /prod/notes -> 201 with an id and the text."
