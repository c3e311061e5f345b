"""Checks for the Cognito-protected REST API lab."""

import time

from labs.sandbox.checker import check

POOL = "notes-users"
CLIENT = "notes-web"
API = "private-notes-api"
STATUS_HINTS = {
    401: "The token was refused: the authorizer must list the notes-users pool's ARN.",
    403: "No deployed GET /notes answered: create a deployment to prod after the last change.",
    500: "API Gateway may not invoke private-notes: call lambda.add_permission for it.",
    502: (
        "The function failed or answered without statusCode and a string body. It also fails "
        "reading the claims when prod still serves a deployment made before the authorizer "
        "was attached: deploy again."
    ),
}
PASSWORD = "Grader-Passw0rd!"  # noqa: S105 - a throwaway user in the emulated pool


def _pool(ctx) -> dict:
    pools = ctx.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    found = [p for p in pools if p["Name"] == POOL]
    ctx.require(found, f"No user pool named {POOL!r} exists.")
    return ctx.client("cognito-idp").describe_user_pool(UserPoolId=found[0]["Id"])["UserPool"]


def _client(ctx, pool_id: str) -> dict:
    idp = ctx.client("cognito-idp")
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    found = [c for c in clients if c["ClientName"] == CLIENT]
    ctx.require(found, f"The pool has no app client named {CLIENT!r}.")
    return idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=found[0]["ClientId"])[
        "UserPoolClient"
    ]


def _api_id(ctx) -> str:
    apis = ctx.client("apigateway").get_rest_apis()["items"]
    ids = [a["id"] for a in apis if a["name"] == API]
    ctx.require(ids, f"No REST API named {API!r} exists.")
    return ids[0]


def _notes_method(ctx) -> dict:
    client = ctx.client("apigateway")
    api_id = _api_id(ctx)
    items = client.get_resources(restApiId=api_id)["items"]
    notes = [r for r in items if r["path"] == "/notes"]
    ctx.require(notes, "The API has no /notes resource.")
    return client.get_method(restApiId=api_id, resourceId=notes[0]["id"], httpMethod="GET")


def _url(ctx) -> str:
    return f"https://{_api_id(ctx)}.execute-api.{ctx.region}.amazonaws.com/prod/notes"


def _sign_in(ctx, username: str) -> str:
    """Sign up, confirm and authenticate a fresh user; return its ID token."""
    pool = _pool(ctx)
    client = _client(ctx, pool["Id"])
    idp = ctx.client("cognito-idp")
    idp.sign_up(
        ClientId=client["ClientId"],
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool["Id"], Username=username)
    auth = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return auth["AuthenticationResult"]["IdToken"]


def _json(response) -> object:
    """The response body as JSON, or None when it is not JSON (the check then fails with
    the raw body in its message)."""
    try:
        return response.json()
    except ValueError:
        return None


@check(
    "notes-web can sign users in with a password",
    points=2,
    hint=(
        "create_user_pool_client(..., GenerateSecret=False, ExplicitAuthFlows="
        "['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'])"
    ),
)
def app_client(ctx):
    client = _client(ctx, _pool(ctx)["Id"])
    flows = client.get("ExplicitAuthFlows") or []
    ctx.require(
        "ALLOW_USER_PASSWORD_AUTH" in flows,
        f"The client allows {flows or 'no explicit flows'}, not ALLOW_USER_PASSWORD_AUTH.",
    )
    ctx.require(
        not client.get("ClientSecret"),
        "The client has a secret: a browser app cannot keep it, and every sign-in would "
        "need a SECRET_HASH.",
    )
    if "ALLOW_REFRESH_TOKEN_AUTH" not in flows:
        ctx.partial(1, "Without ALLOW_REFRESH_TOKEN_AUTH users must type their password hourly.")


@check(
    "A Cognito authorizer trusts notes-users",
    points=2,
    hint=(
        "create_authorizer(type='COGNITO_USER_POOLS', providerARNs=[pool ARN], "
        "identitySource='method.request.header.Authorization')"
    ),
)
def authorizer(ctx):
    pool_arn = _pool(ctx)["Arn"]
    found = ctx.client("apigateway").get_authorizers(restApiId=_api_id(ctx))["items"]
    cognito = [a for a in found if a.get("type") == "COGNITO_USER_POOLS"]
    ctx.require(cognito, "The API has no COGNITO_USER_POOLS authorizer.")
    trusting = [a for a in cognito if pool_arn in (a.get("providerARNs") or [])]
    ctx.require(trusting, f"No Cognito authorizer lists the pool {pool_arn}.")
    source = trusting[0].get("identitySource")
    ctx.require(
        source == "method.request.header.Authorization",
        f"The authorizer reads the token from {source!r}, not the Authorization header.",
    )


@check(
    "GET /notes is protected by the authorizer",
    points=1,
    after=["authorizer"],
    hint="put_method(..., authorizationType='COGNITO_USER_POOLS', authorizerId=<its id>)",
)
def method_protected(ctx):
    method = _notes_method(ctx)
    ctx.require(
        method.get("authorizationType") == "COGNITO_USER_POOLS" and method.get("authorizerId"),
        f"GET /notes uses authorizationType {method.get('authorizationType')!r}.",
    )


@check(
    "Calls without a valid token get 401",
    points=2,
    hint=(
        "Protect the method with the authorizer and deploy again: a deployment snapshots the "
        "API, so later changes are not live until the next create_deployment."
    ),
)
def anonymous_refused(ctx):
    url = _url(ctx)
    response = ctx.http("GET", url)
    ctx.require(response.status == 401, f"Without a token the API answered {response.status}.")
    forged = ctx.http("GET", url, headers={"Authorization": "eyJhbGciOiJub25lIn0.e30."})
    ctx.require(forged.status == 401, f"With a forged token the API answered {forged.status}.")
    return "No token and a forged token both got 401."


@check(
    "A signed-in user gets 200 and their own name back",
    points=3,
    after=["app_client"],
    hint="Read the user from event['requestContext']['authorizer']['claims']['cognito:username'].",
)
def signed_in_user(ctx):
    username = f"grader{time.time_ns() % 10**9}"
    token = _sign_in(ctx, username)
    response = ctx.http("GET", _url(ctx), headers={"Authorization": token})
    ctx.require(
        response.status == 200,
        f"With a valid ID token the API answered {response.status}: {response.body[:200]!r}",
        hint=STATUS_HINTS.get(response.status),
    )
    body = _json(response)
    user = body.get("user") if isinstance(body, dict) else None
    ctx.require(user == username, f"The API named the caller {user!r}, not {username!r}.")
    return f"Signed in as {username}: 200, and the function saw who was calling."
