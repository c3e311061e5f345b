"""Create the partners user pool with a PreSignUp trigger."""

import io
import json
import zipfile

import boto3

iam = boto3.client("iam")
lam = boto3.client("lambda")
cognito = boto3.client("cognito-idp")

trust = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
role = iam.create_role(RoleName="partner-gate-role", AssumeRolePolicyDocument=json.dumps(trust))
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
function = lam.create_function(
    FunctionName="partner-gate",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
    Timeout=5,
    Environment={"Variables": {"ALLOWED_DOMAIN": "partner.example"}},
)

# TODO: run partner-gate before every sign-up (LambdaConfig).
pool = cognito.create_user_pool(PoolName="partners")["UserPool"]
cognito.create_user_pool_client(
    UserPoolId=pool["Id"],
    ClientName="partners-web",
    GenerateSecret=False,
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
)

# TODO: allow Cognito (this pool only) to invoke partner-gate.
print("pool", pool["Id"])
