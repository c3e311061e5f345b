"""`authorizer-choice`: how API Gateway should decide who may call, from the identity setup.

Cognito user pool users with ID tokens on a REST API -> COGNITO_USER_POOLS authorizer; a
token from another provider in one header, checked by custom code -> Lambda TOKEN
authorizer; a decision over several request values -> Lambda REQUEST authorizer; AWS
workloads with IAM roles -> IAM (SigV4); OIDC/OAuth JWTs on an HTTP API -> JWT authorizer.
API keys with usage plans meter and throttle callers; they never authenticate anyone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from quizzes.generators.base import Facts, Family, Param, option, single_question

CHOICES = ("cognito", "token", "request", "iam", "jwt", "api-keys")
TEXTS = {
    "cognito": "A Cognito user pool authorizer (`COGNITO_USER_POOLS`)",
    "token": "A Lambda authorizer of type `TOKEN`",
    "request": "A Lambda authorizer of type `REQUEST`",
    "iam": "IAM authorization (`AWS_IAM`), with callers signing requests with SigV4",
    "jwt": "A JWT authorizer on an HTTP API",
    "api-keys": "API keys attached to a usage plan",
}
# What each option is for; a wrong option's explanation starts with it.
FITS = {
    "cognito": "The Cognito authorizer validates ID or access tokens issued by a Cognito user "
    "pool, on REST APIs, without code.",
    "token": "A TOKEN Lambda authorizer runs your code on one header value, such as a bearer "
    "token, and can cache its decision per token.",
    "request": "A REQUEST Lambda authorizer runs your code on several request values at once: "
    "headers, query strings, stage variables, the source IP.",
    "iam": "IAM authorization checks SigV4-signed requests against IAM policies; it suits "
    "callers that hold AWS credentials.",
    "jwt": "JWT authorizers validate OIDC/OAuth 2.0 tokens without code, but exist only on "
    "HTTP APIs.",
    "api-keys": "API keys identify callers for usage plans (quotas, throttling, usage "
    "reports); they are easily shared and are not a way to authenticate anyone.",
}

COMPANIES = ["Northwind", "Orchid Bank", "Kestrel Freight", "Larkspur Games", "Juniper Academy"]
PRODUCTS = ["booking", "payroll", "fleet-tracking", "tournament", "course-catalogue"]
IDPS = ["in-house OAuth 2.0 server", "legacy single sign-on system", "partner's token service"]
OIDC = ["Auth0", "Okta", "Microsoft Entra ID", "a Cognito user pool"]


@dataclass(frozen=True)
class Scenario:
    answer: str
    stem: str
    why: str  # why the answer fits: the correct option's explanation
    clue: str  # the decisive fact, appended to every wrong option's explanation
    difficulty: str


SCENARIOS = (
    Scenario(
        "cognito",
        "{company}'s {product} REST API serves a mobile app whose users sign up and sign in "
        "with an Amazon Cognito user pool. The app sends the user's ID token in the "
        "`Authorization` header, and the team wants API Gateway to validate it without "
        "writing any authorization code.",
        "A COGNITO_USER_POOLS authorizer checks the user pool's tokens on a REST API with no "
        "code to write or run.",
        "Here the users already hold Cognito user pool tokens, and the API is a REST API.",
        "easy",
    ),
    Scenario(
        "token",
        "{company}'s {product} REST API is called by clients that sign in with the "
        "company's {idp}, which issues opaque bearer tokens that can only be checked by "
        "calling its introspection endpoint. Everything needed is in the `Authorization` "
        "header, and the team wants the decision cached per token for five minutes.",
        "The token is one header value that only custom code can check; a TOKEN authorizer "
        "receives exactly that value and caches the resulting policy per token.",
        "Here the opaque token is one header value that only custom code can verify.",
        "medium",
    ),
    Scenario(
        "request",
        "{company}'s {product} REST API may allow a call only when a combination of values "
        "matches: the `X-Tenant-Id` header, the `region` query-string parameter and the "
        "`plan` stage variable. No single token carries all of this, and the rules live in "
        "the team's own code.",
        "A REQUEST authorizer receives headers, query-string parameters and stage variables "
        "together, so custom code can decide on the whole combination.",
        "Here the decision depends on a combination of header, query-string and "
        "stage-variable values, checked by custom code.",
        "hard",
    ),
    Scenario(
        "iam",
        "{company}'s {product} REST API is called only by other AWS workloads: Lambda "
        "functions and ECS tasks in the company's accounts that run with IAM roles. The team "
        "wants to grant access through IAM policies and have every request signed, with no "
        "tokens to issue or rotate.",
        "The callers already hold IAM role credentials; with AWS_IAM they sign requests with "
        "SigV4 and access is granted by IAM policies.",
        "Here every caller is an AWS workload with IAM role credentials.",
        "easy",
    ),
    Scenario(
        "jwt",
        "{company} is building an HTTP API (not a REST API) for its {product} single-page "
        "app. Users sign in with {oidc}, an OpenID Connect provider, and the app sends the "
        "access token, a JWT, with each request. The team wants API Gateway to check the "
        "token's issuer and audience without custom code.",
        "HTTP APIs validate JWTs from any OIDC/OAuth 2.0 issuer with a built-in JWT "
        "authorizer: configure the issuer and audience, no code.",
        "Here the API is an HTTP API and the tokens are standard JWTs.",
        "medium",
    ),
    Scenario(
        "api-keys",
        "{company}'s {product} REST API already authenticates each partner with SigV4 "
        "signatures and IAM policies. The new requirement is commercial: each partner gets "
        "its own daily request quota and rate limit, and the team wants a usage report per "
        "partner.",
        "Usage plans with one API key per partner set each partner's quota and throttling "
        "and report usage; authentication stays with IAM, since a key identifies a caller "
        "but does not prove who it is.",
        "Here callers are already authenticated; what is missing is a quota and usage "
        "metering per partner.",
        "hard",
    ),
    Scenario(
        "cognito",
        "{company}'s {product} web app keeps its users in an Amazon Cognito user pool and "
        "signs them in through the hosted UI. Every method of the REST API behind it must "
        "reject callers who are not signed in; the browser sends the user's ID token with "
        "each call, and the team wants no Lambda functions involved in authorization.",
        "The users' tokens come from a Cognito user pool and the API is a REST API, so the "
        "built-in COGNITO_USER_POOLS authorizer validates them with nothing to run.",
        "Here the users already hold Cognito user pool tokens, and the API is a REST API.",
        "easy",
    ),
    Scenario(
        "token",
        "{company}'s {product} REST API is called by a partner whose own token service "
        "issues opaque bearer tokens, sent in a custom `X-Partner-Token` header. A token is valid only if "
        "the partner's verification endpoint says so, and the answer may be cached for a "
        "few minutes per token.",
        "A single header value checked by custom code, with the decision cached per token, "
        "is exactly what a TOKEN Lambda authorizer does.",
        "Here the opaque token is one header value that only custom code can verify.",
        "medium",
    ),
    Scenario(
        "request",
        "{company}'s {product} WebSocket API must decide on the `$connect` route whether to "
        "accept a client. The decision needs a combination of values: a `ticket` query-string "
        "parameter and the `Origin` header, checked by the team's own code against its "
        "database.",
        "WebSocket APIs authorize `$connect` with a REQUEST Lambda authorizer, which sees the "
        "query string and headers together.",
        "Here the decision combines a query-string parameter and a header, checked by custom code.",
        "hard",
    ),
    Scenario(
        "iam",
        "{company}'s {product} mobile app gets temporary AWS credentials from a Cognito "
        "identity pool, which maps signed-in users and guests to two different IAM roles. "
        "The REST API must let each role call only its own methods, using the IAM role "
        "policies, and the app already signs its calls with those credentials.",
        "Identity pool credentials belong to IAM roles; with AWS_IAM the app's SigV4-signed "
        "calls are allowed or denied by those roles' policies.",
        "Here the callers sign with temporary credentials of IAM roles from an identity pool.",
        "medium",
    ),
    Scenario(
        "jwt",
        "{company} exposes its {product} service to a mobile app as an HTTP API (not a REST "
        "API). Users sign in with {oidc} through the OAuth 2.0 authorization code flow, and "
        "each route must check that the access token, a JWT, carries the right scope, such "
        "as `orders:read`.",
        "An HTTP API's JWT authorizer validates the token's issuer and audience and can "
        "require scopes per route, without code.",
        "Here the API is an HTTP API and the tokens are standard JWTs with scopes.",
        "medium",
    ),
    Scenario(
        "api-keys",
        "{company} sells access to its {product} REST API in tiers: a free tier with a daily "
        "request quota of 1,000 calls and a paid tier with 100,000. Callers are already "
        "authenticated by a Lambda authorizer; what is missing is enforcing each customer's "
        "tier and reporting usage per customer.",
        "Usage plans with an API key per customer enforce each tier's quota and throttling "
        "and report usage; the Lambda authorizer keeps doing authentication, because a key "
        "identifies a caller but does not prove who it is.",
        "Here callers are already authenticated; what is missing is a quota and usage "
        "metering per customer.",
        "hard",
    ),
)

PARAMS = {
    "answer": Param("answer", "fix the correct choice", choices=CHOICES),
    "options": Param("options", "number of options (default 4)", int, minimum=3, maximum=6),
}


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    answer = params.get("answer", rng.choice(CHOICES))
    scenario = rng.choice([s for s in SCENARIOS if s.answer == answer])
    values = {
        "company": rng.choice(COMPANIES),
        "product": rng.choice(PRODUCTS),
        "idp": rng.choice(IDPS),
        "oidc": rng.choice(OIDC),
    }
    others = [c for c in CHOICES if c not in (answer, "api-keys")]
    count = params.get("options", 4)
    # API keys are the classic trap, so they are always offered when they are wrong.
    wrong_names = rng.sample(others, count - 1 - (answer != "api-keys"))
    if answer != "api-keys":
        wrong_names.append("api-keys")
    wrong = [option(TEXTS[n], False, f"{FITS[n]} {scenario.clue}") for n in wrong_names]
    return single_question(
        rng,
        stem=scenario.stem.format(**values) + "\n\nWhich option should the team configure?",
        correct=option(TEXTS[answer], True, scenario.why),
        wrong=wrong,
        explanation=scenario.why,
        difficulty=scenario.difficulty,
        lessons=["apigateway-security"]
        + (["cognito-pools"] if answer in ("cognito", "jwt") else [])
        + (["api-keys-usage-plans"] if answer == "api-keys" else [])
        + (["apigateway-http-vs-rest"] if answer == "jwt" else []),
    )


FAMILY = Family(
    name="authorizer-choice",
    title="Choosing an API Gateway authorizer",
    default_domain="auth",
    default_lessons=("apigateway-security",),
    build=build,
    params_schema=PARAMS,
)
