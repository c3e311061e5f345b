"""Checks for the Lambda TOKEN authorizer lab."""

from labs.sandbox.checker import check

API = "reports-api"
AUTHORIZER_FUNCTION = "token-check"
FINANCE = "f1nance-7c2e"
INTERNS = "1ntern-0a9d"
STATUS_HINTS = {
    500: (
        "500 means API Gateway could not use the authorizer: check that it may invoke "
        "token-check (lambda.add_permission), that the authorizer returns principalId and a "
        "policy, and that it raises exactly Exception('Unauthorized') for unknown tokens."
    ),
    403: "403 means the policy did not allow this method: use event['methodArn'] as Resource.",
    502: "502 means the backend failed or answered without statusCode and a string body.",
}


def _api_id(ctx) -> str:
    apis = ctx.client("apigateway").get_rest_apis()["items"]
    ids = [a["id"] for a in apis if a["name"] == API]
    ctx.require(ids, f"No REST API named {API!r} exists.")
    return ids[0]


def _get(ctx, token: str | None):
    url = f"https://{_api_id(ctx)}.execute-api.{ctx.region}.amazonaws.com/prod/reports"
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return ctx.http("GET", url, headers=headers)


def _answered(ctx, response, expected: int, what: str) -> None:
    ctx.require(
        response.status == expected,
        f"{what}: GET /reports answered {response.status} ({response.body[:160]!r}), "
        f"expected {expected}.",
        hint=STATUS_HINTS.get(response.status) if response.status != expected else None,
    )


def _json(response) -> object:
    """The response body as JSON, or None when it is not JSON (the check then fails with
    the raw body in its message)."""
    try:
        return response.json()
    except ValueError:
        return None


@check(
    "GET /reports is guarded by a TOKEN authorizer backed by token-check",
    points=2,
    hint=(
        "create_authorizer(type='TOKEN', authorizerUri=<token-check invocation URI>, "
        "identitySource='method.request.header.Authorization'), then put_method(..., "
        "authorizationType='CUSTOM', authorizerId=<its id>)"
    ),
)
def authorizer(ctx):
    client = ctx.client("apigateway")
    api_id = _api_id(ctx)
    resources = [r for r in client.get_resources(restApiId=api_id)["items"]]
    reports = [r for r in resources if r["path"] == "/reports"]
    ctx.require(reports, "The API has no /reports resource.")
    method = client.get_method(restApiId=api_id, resourceId=reports[0]["id"], httpMethod="GET")
    ctx.require(
        method.get("authorizationType") == "CUSTOM" and method.get("authorizerId"),
        f"GET /reports uses authorizationType {method.get('authorizationType')!r}.",
    )
    found = client.get_authorizer(restApiId=api_id, authorizerId=method["authorizerId"])
    arn = ctx.client("lambda").get_function(FunctionName=AUTHORIZER_FUNCTION)["Configuration"][
        "FunctionArn"
    ]
    ctx.require(found.get("type") == "TOKEN", f"The authorizer is of type {found.get('type')}.")
    ctx.require(
        arn in (found.get("authorizerUri") or ""),
        "The authorizer's authorizerUri does not point at token-check.",
    )
    ctx.require(
        found.get("identitySource") == "method.request.header.Authorization",
        f"The authorizer reads {found.get('identitySource')!r}, not the Authorization header.",
    )


@check(
    "No token: 401",
    points=1,
    hint="Attach the authorizer to GET /reports and deploy the API again.",
)
def no_token(ctx):
    _answered(ctx, _get(ctx, None), 401, "Without a token")


@check(
    "An unknown token: 401",
    points=2,
    hint="For a token that is not in TEAM_TOKENS, raise Exception('Unauthorized').",
)
def unknown_token(ctx):
    _answered(ctx, _get(ctx, "not-a-team-token"), 401, "With an unknown token")


@check(
    "The blocked team's token: 403",
    points=2,
    hint="Return a policy with Effect 'Deny' on event['methodArn'] for the interns.",
)
def blocked_team(ctx):
    _answered(ctx, _get(ctx, INTERNS), 403, "With the interns' token")


@check(
    "An allowed team's token: 200 and the backend knows the team",
    points=3,
    hint=(
        "Return Effect 'Allow' and context {'team': team}; the backend reads "
        "event['requestContext']['authorizer']['team']."
    ),
)
def allowed_team(ctx):
    response = _get(ctx, FINANCE)
    _answered(ctx, response, 200, "With the finance token")
    body = _json(response)
    ctx.require(
        body == {"team": "finance"},
        f"The backend answered {body!r}; expected {{'team': 'finance'}}.",
    )
    return "The finance token got 200 and the backend saw team 'finance'."
