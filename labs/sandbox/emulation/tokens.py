"""Verifying the RS256 JWTs moto's Cognito user pools issue, the way API Gateway's
COGNITO_USER_POOLS and JWT authorizers do: signature against the pool's JWKS, then issuer,
expiry (against the emulation clock), token use and audience."""

from __future__ import annotations

import re
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from moto.cognitoidp.models import cognitoidp_backends
from moto.utilities.utils import load_resource

_ISSUER = re.compile(
    r"^https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[^/]+)$"
)
_POOL_ARN = re.compile(
    r"^arn:[^:]+:cognito-idp:(?P<region>[^:]+):(?P<account>\d{12}):userpool/(?P<pool>.+)$"
)


class TokenRejected(Exception):
    """The token is missing, malformed, badly signed, expired or meant for someone else."""


def pool_jwks(pool_id: str, *, account_id: str, region: str | None = None) -> dict[str, Any]:
    """The public JSON Web Key Set of a user pool (what
    https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json serves).

    Raises KeyError when the pool does not exist. moto signs every pool's tokens with one
    bundled key, so the set is the same for all pools; asking by pool keeps callers honest."""
    region = region or pool_id.split("_", 1)[0]
    if pool_id not in cognitoidp_backends[account_id][region].user_pools:
        raise KeyError(f"no Cognito user pool {pool_id!r} in {region}")
    return load_resource("cognitoidp/resources/jwks-public.json")


def issuer_of(pool_id: str, region: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def pool_from_arn(arn: str) -> tuple[str, str, str] | None:
    """(account, region, pool id) named by a user pool ARN."""
    match = _POOL_ARN.match(arn)
    return (match["account"], match["region"], match["pool"]) if match else None


def pool_from_issuer(issuer: str, account_id: str) -> tuple[str, str, str] | None:
    match = _ISSUER.match(issuer.rstrip("/"))
    return (account_id, match["region"], match["pool"]) if match else None


def bearer_token(header_value: str | None) -> str | None:
    if not header_value:
        return None
    value = header_value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def verify_cognito_token(
    token: str, *, account_id: str, region: str, pool_id: str, now: float
) -> dict[str, Any]:
    """Claims of `token` after checking it was issued by this pool and is still valid at
    `now`. Raises TokenRejected."""
    try:
        jwks = pool_jwks(pool_id, account_id=account_id, region=region)
    except KeyError as exc:
        raise TokenRejected(str(exc)) from exc
    try:
        decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRejected(f"signature or format: {exc}") from exc
    claims = dict(decoded.claims)
    if claims.get("iss") != issuer_of(pool_id, region):
        raise TokenRejected(f"issuer {claims.get('iss')!r} is not this pool")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise TokenRejected("expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > now:
        raise TokenRejected("not valid yet")
    return claims


def audience_of(claims: dict[str, Any]) -> list[str]:
    """ID tokens carry the app client in `aud`; access tokens in `client_id`."""
    aud = claims.get("aud", claims.get("client_id"))
    if aud is None:
        return []
    return [str(a) for a in aud] if isinstance(aud, list) else [str(aud)]


def scopes_of(claims: dict[str, Any]) -> list[str]:
    scope = claims.get("scope")
    return scope.split() if isinstance(scope, str) else []
