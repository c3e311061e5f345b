"""Checks for the PreSignUp trigger lab."""

import json
import time

from botocore.exceptions import ClientError

from labs.sandbox.checker import check

POOL = "partners"
CLIENT = "partners-web"
FUNCTION = "partner-gate"
PASSWORD = "Grader-Passw0rd!"  # noqa: S105 - a throwaway user in the emulated pool


def _pool(ctx) -> dict:
    idp = ctx.client("cognito-idp")
    found = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == POOL]
    ctx.require(found, f"No user pool named {POOL!r} exists.")
    return idp.describe_user_pool(UserPoolId=found[0]["Id"])["UserPool"]


def _client_id(ctx, pool_id: str) -> str:
    clients = ctx.client("cognito-idp").list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    found = [c["ClientId"] for c in clients["UserPoolClients"] if c["ClientName"] == CLIENT]
    ctx.require(found, f"The pool has no app client named {CLIENT!r}.")
    return found[0]


def _sign_up(ctx, local_part: str, domain: str) -> tuple[str, ClientError | None]:
    """Sign up a fresh user; return its name and the error Cognito answered, if any."""
    pool = _pool(ctx)
    username = f"{local_part}{time.time_ns() % 10**9}"
    try:
        ctx.client("cognito-idp").sign_up(
            ClientId=_client_id(ctx, pool["Id"]),
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": f"{username}@{domain}"}],
        )
    except ClientError as error:
        return username, error
    return username, None


# What Cognito answers when the function's resource policy does not let it invoke the trigger.
NO_PERMISSION_HINT = (
    "Cognito may not invoke partner-gate: lambda.add_permission(FunctionName='partner-gate', "
    "Action='lambda:InvokeFunction', Principal='cognito-idp.amazonaws.com', "
    "SourceArn=<the pool's ARN>)"
)


def _hint_for(error: ClientError | None) -> str | None:
    if error is not None and error.response["Error"]["Code"] == "UnexpectedLambdaException":
        return NO_PERMISSION_HINT
    return None


def _user(ctx, username: str) -> dict | None:
    idp = ctx.client("cognito-idp")
    try:
        return idp.admin_get_user(UserPoolId=_pool(ctx)["Id"], Username=username)
    except idp.exceptions.UserNotFoundException:
        return None


def _refused(ctx, local_part: str, domain: str) -> str:
    username, error = _sign_up(ctx, local_part, domain)
    ctx.require(error is not None, f"The sign-up of {username}@{domain} was accepted.")
    code = error.response["Error"]["Code"]
    ctx.require(
        code == "UserLambdaValidationException",
        f"Signing up {username}@{domain} failed with {code}, not with the trigger's refusal: "
        f"{error.response['Error'].get('Message')}",
        hint=_hint_for(error),
    )
    ctx.require(_user(ctx, username) is None, f"A refused sign-up left the user {username} behind.")
    return error.response["Error"].get("Message", "")


@check(
    "partners runs partner-gate before each sign-up",
    points=2,
    hint="create_user_pool(PoolName='partners', LambdaConfig={'PreSignUp': <function ARN>})",
)
def trigger(ctx):
    configured = (_pool(ctx).get("LambdaConfig") or {}).get("PreSignUp", "")
    arn = ctx.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    ctx.require(configured, "The pool has no PreSignUp trigger.")
    ctx.require(
        configured == arn or configured.startswith(f"{arn}:"),
        f"The PreSignUp trigger is {configured}, not partner-gate.",
    )


@check(
    "Only this pool may invoke partner-gate",
    points=2,
    hint=(
        "lambda.add_permission(FunctionName='partner-gate', Action='lambda:InvokeFunction', "
        "Principal='cognito-idp.amazonaws.com', SourceArn=<the pool's ARN>)"
    ),
)
def permission(ctx):
    lam = ctx.client("lambda")
    try:
        statements = json.loads(lam.get_policy(FunctionName=FUNCTION)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        statements = []
    cognito = [
        s
        for s in statements
        if (s.get("Principal") or {}).get("Service") == "cognito-idp.amazonaws.com"
        and s.get("Effect") == "Allow"
    ]
    ctx.require(
        cognito,
        "The function's resource policy does not let Cognito invoke it (AWS would fail "
        "every sign-up).",
    )
    pool_arn = _pool(ctx)["Arn"]
    scoped = [
        s
        for s in cognito
        if (s.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn") == pool_arn
    ]
    if not scoped:
        ctx.partial(1, "Cognito may invoke the function, but for any pool: set SourceArn.")


@check(
    "A partner address is confirmed and verified at once",
    points=3,
    after=["trigger"],
    hint=(
        "Set event['response']['autoConfirmUser'] and event['response']['autoVerifyEmail'] to "
        "True and return the event."
    ),
)
def partner_confirmed(ctx):
    username, error = _sign_up(ctx, "ada", "partner.example")
    ctx.require(
        error is None,
        f"The partner sign-up failed: {error and error.response['Error'].get('Message')}",
        hint=_hint_for(error),
    )
    user = _user(ctx, username)
    ctx.require(user is not None, "The partner user was not created.")
    ctx.require(
        user["UserStatus"] == "CONFIRMED",
        f"The partner user is {user['UserStatus']}; it should be confirmed without a code.",
    )
    pool_id = _pool(ctx)["Id"]
    ctx.client("cognito-idp").initiate_auth(
        ClientId=_client_id(ctx, pool_id),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    if attributes.get("email_verified") != "true":
        ctx.partial(2, "The user is confirmed, but the address is not marked as verified.")
    return "The partner signed up, was confirmed at once and could sign in."


@check(
    "Other domains are refused with a clear message",
    points=2,
    after=["trigger"],
    hint="Raise an exception such as Exception('Only partner.example addresses may sign up').",
)
def others_refused(ctx):
    message = _refused(ctx, "bob", "elsewhere.example")
    ctx.require(
        "partner.example" in message,
        f"The refusal reads {message!r}; it should name the allowed domain.",
    )


@check(
    "Look-alike domains are refused too",
    points=1,
    after=["others_refused"],
    hint="Compare the domain after the '@' with ALLOWED_DOMAIN, not the end of the address.",
)
def lookalike_refused(ctx):
    _refused(ctx, "eve", "notpartner.example")
    _refused(ctx, "mallory", "partner.example.evil.test")
