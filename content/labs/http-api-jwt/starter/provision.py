"""Create the me-users pool and the me-api HTTP API with GET /me."""

import io
import json
import zipfile

import boto3

REGION = "us-east-1"

iam = boto3.client("iam")
lam = boto3.client("lambda")
apigw = boto3.client("apigatewayv2")
cognito = boto3.client("cognito-idp")
account = boto3.client("sts").get_caller_identity()["Account"]

pool = cognito.create_user_pool(PoolName="me-users")["UserPool"]
client = cognito.create_user_pool_client(
    UserPoolId=pool["Id"],
    ClientName="me-web",
    GenerateSecret=False,
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
)["UserPoolClient"]

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
role = iam.create_role(RoleName="whoami-role", AssumeRolePolicyDocument=json.dumps(trust))
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
function = lam.create_function(
    FunctionName="whoami",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
)

api_id = apigw.create_api(Name="me-api", ProtocolType="HTTP")["ApiId"]
integration = apigw.create_integration(
    ApiId=api_id,
    IntegrationType="AWS_PROXY",
    IntegrationUri=function["FunctionArn"],
    PayloadFormatVersion="2.0",
)

# TODO: create a JWT authorizer that trusts the pool (issuer) and me-web (audience),
# and require it on the route.
apigw.create_route(
    ApiId=api_id,
    RouteKey="GET /me",
    Target=f"integrations/{integration['IntegrationId']}",
)
apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
lam.add_permission(
    FunctionName="whoami",
    StatementId="me-api-invoke",
    Action="lambda:InvokeFunction",
    Principal="apigateway.amazonaws.com",
    SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*",
)
print(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/me")
