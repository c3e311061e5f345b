"""Checks for the HTTP API with a JWT authorizer lab."""

import time

from labs.sandbox.checker import check

POOL = "me-users"
CLIENT = "me-web"
API = "me-api"
FUNCTION = "whoami"
PASSWORD = "Grader-Passw0rd!"  # noqa: S105 - a throwaway user in the emulated pool


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _pool_id(ctx) -> str:
    pools = ctx.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    found = [p["Id"] for p in pools if p["Name"] == POOL]
    ctx.require(found, f"No user pool named {POOL!r} exists.")
    return found[0]


def _client_id(ctx, pool_id: str, name: str = CLIENT) -> str:
    clients = ctx.client("cognito-idp").list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    found = [c["ClientId"] for c in clients["UserPoolClients"] if c["ClientName"] == name]
    ctx.require(found, f"The pool has no app client named {name!r}.")
    return found[0]


def _api_id(ctx) -> str:
    apis = ctx.client("apigatewayv2").get_apis()["Items"]
    found = [a["ApiId"] for a in apis if a["Name"] == API and a.get("ProtocolType") == "HTTP"]
    ctx.require(found, f"No HTTP API named {API!r} exists.")
    return found[0]


def _route(ctx) -> dict:
    routes = ctx.client("apigatewayv2").get_routes(ApiId=_api_id(ctx))["Items"]
    found = [r for r in routes if r["RouteKey"] == "GET /me"]
    ctx.require(found, "The API has no route `GET /me`.")
    return found[0]


def _url(ctx) -> str:
    return f"https://{_api_id(ctx)}.execute-api.{ctx.region}.amazonaws.com/me"


def _id_token(ctx, client_id: str, username: str) -> str:
    idp = ctx.client("cognito-idp")
    auth = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return auth["AuthenticationResult"]["IdToken"]


def _new_user(ctx, pool_id: str, client_id: str) -> str:
    username = f"grader{time.time_ns() % 10**9}"
    idp = ctx.client("cognito-idp")
    idp.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    return username


def _json(response) -> object:
    """The response body as JSON, or None when it is not JSON (the check then fails with
    the raw body in its message)."""
    try:
        return response.json()
    except ValueError:
        return None


@check(
    "GET /me requires the JWT authorizer",
    points=1,
    hint="create_route(..., AuthorizationType='JWT', AuthorizerId=<its id>) or update_route.",
)
def route_protected(ctx):
    route = _route(ctx)
    ctx.require(
        route.get("AuthorizationType") == "JWT" and route.get("AuthorizerId"),
        f"GET /me uses AuthorizationType {route.get('AuthorizationType', 'NONE')!r}.",
    )


@check(
    "The JWT authorizer trusts the pool and the me-web client",
    points=3,
    after=["route_protected"],
    hint=(
        "JwtConfiguration={'Issuer': 'https://cognito-idp.us-east-1.amazonaws.com/<pool id>', "
        "'Audience': [<me-web client id>]}, IdentitySource=['$request.header.Authorization']"
    ),
)
def authorizer(ctx):
    pool_id = _pool_id(ctx)
    client_id = _client_id(ctx, pool_id)
    found = ctx.client("apigatewayv2").get_authorizer(
        ApiId=_api_id(ctx), AuthorizerId=_route(ctx)["AuthorizerId"]
    )
    ctx.require(found.get("AuthorizerType") == "JWT", "The route's authorizer is not a JWT one.")
    config = found.get("JwtConfiguration") or {}
    issuer = f"https://cognito-idp.{ctx.region}.amazonaws.com/{pool_id}"
    earned, problems = 0, []
    if config.get("Issuer") == issuer:
        earned += 1
    else:
        problems.append(f"the issuer is {config.get('Issuer')!r}, expected {issuer!r}")
    if client_id in (config.get("Audience") or []):
        earned += 1
    else:
        problems.append(
            f"the audience {config.get('Audience')} does not contain the me-web client id"
        )
    if found.get("IdentitySource") == ["$request.header.Authorization"]:
        earned += 1
    else:
        problems.append(f"the identity source is {found.get('IdentitySource')}")
    if problems:
        ctx.partial(earned, _sentence(problems))


@check(
    "GET /me reaches whoami with payload format 2.0",
    points=1,
    hint="create_integration(IntegrationType='AWS_PROXY', IntegrationUri=<function ARN>, "
    "PayloadFormatVersion='2.0') and Target='integrations/<id>' on the route.",
)
def integration(ctx):
    target = _route(ctx).get("Target", "")
    ctx.require(target.startswith("integrations/"), "GET /me has no integration target.")
    found = ctx.client("apigatewayv2").get_integration(
        ApiId=_api_id(ctx), IntegrationId=target.split("/", 1)[1]
    )
    arn = ctx.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    ctx.require(
        found.get("IntegrationType") == "AWS_PROXY" and arn in found.get("IntegrationUri", ""),
        f"The integration is {found.get('IntegrationType')} to {found.get('IntegrationUri')}.",
    )
    ctx.require(
        found.get("PayloadFormatVersion") == "2.0",
        f"The integration uses payload format {found.get('PayloadFormatVersion')}.",
    )


@check(
    "Calls without a token get 401",
    points=2,
    hint="Attach the JWT authorizer to the route; the $default stage deploys it automatically.",
)
def anonymous_refused(ctx):
    response = ctx.http("GET", _url(ctx))
    ctx.require(response.status == 401, f"Without a token GET /me answered {response.status}.")


@check(
    "Tokens issued for another app client get 401",
    points=2,
    after=["authorizer"],
    hint="The audience must list only the me-web client id.",
)
def other_audience_refused(ctx):
    pool_id = _pool_id(ctx)
    idp = ctx.client("cognito-idp")
    other = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"grader-other-{time.time_ns() % 10**6}",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    username = _new_user(ctx, pool_id, other)
    token = _id_token(ctx, other, username)
    response = ctx.http("GET", _url(ctx), headers={"Authorization": f"Bearer {token}"})
    ctx.require(
        response.status == 401,
        f"A token for another app client of the same pool got {response.status}.",
    )


@check(
    "A signed-in caller gets 200 and their own claims",
    points=3,
    hint=(
        "Return json.dumps({'username': claims['cognito:username'], 'sub': claims['sub']}) "
        "with claims = event['requestContext']['authorizer']['jwt']['claims']."
    ),
)
def own_claims(ctx):
    pool_id = _pool_id(ctx)
    client_id = _client_id(ctx, pool_id)
    username = _new_user(ctx, pool_id, client_id)
    sub = next(
        a["Value"]
        for a in ctx.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)[
            "UserAttributes"
        ]
        if a["Name"] == "sub"
    )
    token = _id_token(ctx, client_id, username)
    response = ctx.http("GET", _url(ctx), headers={"Authorization": f"Bearer {token}"})
    hint = None
    if response.status == 500:
        hint = "API Gateway may not invoke whoami: add lambda.add_permission for it."
    ctx.require(
        response.status == 200,
        f"With a valid token GET /me answered {response.status}: {response.body[:200]!r}",
        hint=hint,
    )
    body = _json(response)
    ctx.require(
        body == {"username": username, "sub": sub},
        f"GET /me returned {body!r}; expected the caller's username and sub.",
    )
    return f"Signed in as {username}: GET /me returned their username and sub."
