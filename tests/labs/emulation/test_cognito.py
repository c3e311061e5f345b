"""Cognito triggers run through `invoke`, the RSA key cache and the JWKS helper."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import KeySet
from moto.cognitoidp.models import cognitoidp_backends

from labs.sandbox.emulation import Emulation

from .conftest import ACCOUNT, REGION, FakeLambda, client, create_function, signed_in_user


def _allow_cognito(function_arn: str, pool_arn: str | None, sid: str = "cognito") -> None:
    kwargs = {"SourceArn": pool_arn} if pool_arn else {}
    client("lambda").add_permission(
        FunctionName=function_arn,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        **kwargs,
    )


def _pool_with_triggers(*, permitted: bool = True, **triggers: str) -> tuple[str, str]:
    """A pool with the given triggers; with `permitted`, each trigger function lets this
    pool invoke it (the resource-policy statement AWS requires)."""
    idp = client("cognito-idp")
    pool = idp.create_user_pool(
        PoolName="members", LambdaConfig=triggers, AutoVerifiedAttributes=[]
    )["UserPool"]
    client_id = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    if permitted:
        for arn in set(triggers.values()):
            _allow_cognito(arn, pool["Arn"])
    return pool["Id"], client_id


def _attributes(pool_id: str, username: str) -> dict[str, str]:
    user = client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_pre_sign_up_can_auto_confirm_and_verify_email(emu: Emulation, lambdas: FakeLambda) -> None:
    def pre_sign_up(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True
        return event

    arn = create_function(lambdas, "pre", pre_sign_up)
    pool_id, client_id = _pool_with_triggers(PreSignUp=arn)

    result = client("cognito-idp").sign_up(
        ClientId=client_id,
        Username="lena",
        Password="Passw0rd!long",
        UserAttributes=[{"Name": "email", "Value": "lena@example.com"}],
        ValidationData=[{"Name": "invite", "Value": "abc"}],
    )

    assert result["UserConfirmed"] is True
    user = client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username="lena")
    assert user["UserStatus"] == "CONFIRMED"
    assert _attributes(pool_id, "lena")["email_verified"] == "true"
    (event,) = lambdas.events("pre")
    attributes = event["request"].pop("userAttributes")
    assert attributes == {"email": "lena@example.com"}
    assert event == {
        "version": "1",
        "region": REGION,
        "userPoolId": pool_id,
        "userName": "lena",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"validationData": {"invite": "abc"}},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


def test_pre_sign_up_error_rejects_the_sign_up_and_keeps_no_user(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def pre_sign_up(event: dict[str, Any]) -> dict[str, Any]:
        if not event["request"]["userAttributes"]["email"].endswith("@school.example"):
            raise ValueError("Use your school address")
        return event

    arn = create_function(lambdas, "pre", pre_sign_up)
    pool_id, client_id = _pool_with_triggers(PreSignUp=arn)
    idp = client("cognito-idp")

    with pytest.raises(ClientError) as caught:
        idp.sign_up(
            ClientId=client_id,
            Username="omar",
            Password="Passw0rd!long",
            UserAttributes=[{"Name": "email", "Value": "omar@gmail.example"}],
        )
    unconfirmed = idp.sign_up(
        ClientId=client_id,
        Username="ines",
        Password="Passw0rd!long",
        UserAttributes=[{"Name": "email", "Value": "ines@school.example"}],
    )

    assert caught.value.response["Error"] == {
        "Code": "UserLambdaValidationException",
        "Message": "PreSignUp failed with error Use your school address.",
    }
    assert [u["Username"] for u in idp.list_users(UserPoolId=pool_id)["Users"]] == ["ines"]
    assert unconfirmed["UserConfirmed"] is False


def test_pre_sign_up_answer_that_is_not_an_object_is_rejected(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "pre", lambda event: "yes")
    _, client_id = _pool_with_triggers(PreSignUp=arn)

    with pytest.raises(ClientError) as caught:
        client("cognito-idp").sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")

    assert caught.value.response["Error"] == {
        "Code": "InvalidLambdaResponseException",
        "Message": "Unrecognizable lambda output",
    }


def test_pre_sign_up_runs_for_admin_create_user_without_confirming(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def pre_sign_up(event: dict[str, Any]) -> dict[str, Any]:
        if event["request"]["userAttributes"].get("email", "").endswith("@blocked.example"):
            raise ValueError("blocked domain")
        event["response"].update(autoConfirmUser=True, autoVerifyEmail=True)
        return event

    arn = create_function(lambdas, "pre", pre_sign_up)
    pool_id, _ = _pool_with_triggers(PreSignUp=arn)
    idp = client("cognito-idp")

    created = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="ines",
        UserAttributes=[{"Name": "email", "Value": "ines@school.example"}],
    )["User"]
    with pytest.raises(ClientError) as caught:
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username="omar",
            UserAttributes=[{"Name": "email", "Value": "omar@blocked.example"}],
        )

    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert _attributes(pool_id, "ines")["email_verified"] == "true"
    assert caught.value.response["Error"]["Message"] == (
        "PreSignUp failed with error blocked domain."
    )
    assert [e["triggerSource"] for e in lambdas.events("pre")] == ["PreSignUp_AdminCreateUser"] * 2
    assert [u["Username"] for u in idp.list_users(UserPoolId=pool_id)["Users"]] == ["ines"]


def test_post_confirmation_runs_after_confirm_sign_up(emu: Emulation, lambdas: FakeLambda) -> None:
    arn = create_function(lambdas, "post", lambda event: event)
    _, client_id = _pool_with_triggers(PostConfirmation=arn)
    idp = client("cognito-idp")
    sub = idp.sign_up(
        ClientId=client_id,
        Username="lena",
        Password="Passw0rd!long",
        UserAttributes=[{"Name": "email", "Value": "lena@example.com"}],
    )["UserSub"]

    assert lambdas.events("post") == []
    idp.confirm_sign_up(ClientId=client_id, Username="lena", ConfirmationCode="123456")

    (event,) = lambdas.events("post")
    assert (event["triggerSource"], event["userName"], event["callerContext"]["clientId"]) == (
        "PostConfirmation_ConfirmSignUp",
        "lena",
        client_id,
    )
    assert event["request"]["userAttributes"] == {
        "sub": sub,
        "email": "lena@example.com",
        "cognito:user_status": "CONFIRMED",
    }


def test_post_confirmation_error_is_reported_but_the_user_stays_confirmed(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    def post(event: dict[str, Any]) -> None:
        raise RuntimeError("profile table missing")

    arn = create_function(lambdas, "post", post)
    pool_id, client_id = _pool_with_triggers(PostConfirmation=arn)
    idp = client("cognito-idp")
    idp.sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")

    with pytest.raises(ClientError) as caught:
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="lena")

    assert caught.value.response["Error"]["Message"] == (
        "PostConfirmation failed with error profile table missing."
    )
    status = idp.admin_get_user(UserPoolId=pool_id, Username="lena")["UserStatus"]
    assert status == "CONFIRMED"


def test_trigger_without_cognito_permission_fails_the_sign_up_without_running(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "pre", lambda event: event)
    pool_id, client_id = _pool_with_triggers(permitted=False, PreSignUp=arn)
    idp = client("cognito-idp")

    with pytest.raises(ClientError) as caught:
        idp.sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")

    assert caught.value.response["Error"] == {
        "Code": "UnexpectedLambdaException",
        "Message": "PreSignUp invocation failed due to error AccessDeniedException.",
    }
    assert lambdas.events("pre") == []
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_trigger_permission_for_another_pool_is_refused_and_one_for_any_pool_works(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "pre", lambda event: event)
    pool_id, client_id = _pool_with_triggers(permitted=False, PreSignUp=arn)
    other_pool = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_other"
    _allow_cognito(arn, other_pool, sid="other-pool")
    idp = client("cognito-idp")

    with pytest.raises(ClientError) as caught:
        idp.sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")
    _allow_cognito(arn, None, sid="any-pool")
    accepted = idp.sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")

    assert caught.value.response["Error"]["Code"] == "UnexpectedLambdaException"
    assert accepted["UserConfirmed"] is False
    assert len(lambdas.events("pre")) == 1
    assert [u["Username"] for u in idp.list_users(UserPoolId=pool_id)["Users"]] == ["lena"]


def test_post_confirmation_without_permission_is_reported_and_not_run(
    emu: Emulation, lambdas: FakeLambda
) -> None:
    arn = create_function(lambdas, "post", lambda event: event)
    pool_id, client_id = _pool_with_triggers(permitted=False, PostConfirmation=arn)
    idp = client("cognito-idp")
    idp.sign_up(ClientId=client_id, Username="lena", Password="Passw0rd!long")

    with pytest.raises(ClientError) as caught:
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="lena")

    assert caught.value.response["Error"] == {
        "Code": "UnexpectedLambdaException",
        "Message": "PostConfirmation invocation failed due to error AccessDeniedException.",
    }
    assert lambdas.events("post") == []


def test_pools_share_one_imported_key_and_publish_a_jwks_that_verifies_tokens(
    emu: Emulation,
) -> None:
    user = signed_in_user()
    other = signed_in_user("second", "omar")
    pools = cognitoidp_backends[ACCOUNT][REGION].user_pools

    jwks = emu.pool_jwks(user.pool_id)
    claims = jwt.decode(user.id_token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims

    assert pools[user.pool_id].json_web_key is pools[other.pool_id].json_web_key
    assert [(k["kid"], k["alg"], k["kty"]) for k in jwks["keys"]] == [("dummy", "RS256", "RSA")]
    assert (claims["cognito:username"], claims["aud"]) == ("lena", user.client_id)
    with pytest.raises(KeyError, match="no Cognito user pool 'us-east-1_missing'"):
        emu.pool_jwks("us-east-1_missing")
