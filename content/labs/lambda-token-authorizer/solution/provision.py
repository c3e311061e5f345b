"""Deploy the reports backend and the token-check authorizer behind reports-api."""

import io
import json
import zipfile

import boto3

REGION = "us-east-1"
TEAM_TOKENS = {"f1nance-7c2e": "finance", "1ntern-0a9d": "interns"}

iam = boto3.client("iam")
lam = boto3.client("lambda")
apigw = boto3.client("apigateway")
account = boto3.client("sts").get_caller_identity()["Account"]

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
role = iam.create_role(RoleName="reports-role", AssumeRolePolicyDocument=json.dumps(trust))


def deploy(name, module, environment=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(f"{module}.py")
    return lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=f"{module}.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": environment or {}},
    )


def invocation_uri(function):
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"{function['FunctionArn']}/invocations"
    )


def allow_api_gateway(function_name, api_id):
    lam.add_permission(
        FunctionName=function_name,
        StatementId=f"{api_id}-invoke",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*",
    )


backend = deploy("reports", "handler")
checker = deploy("token-check", "authorizer", {"TEAM_TOKENS": json.dumps(TEAM_TOKENS)})

api_id = apigw.create_rest_api(name="reports-api")["id"]
root_id = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
reports = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="reports")

authorizer = apigw.create_authorizer(
    restApiId=api_id,
    name="token-check",
    type="TOKEN",
    authorizerUri=invocation_uri(checker),
    identitySource="method.request.header.Authorization",
    authorizerResultTtlInSeconds=0,
)
apigw.put_method(
    restApiId=api_id,
    resourceId=reports["id"],
    httpMethod="GET",
    authorizationType="CUSTOM",
    authorizerId=authorizer["id"],
)
apigw.put_integration(
    restApiId=api_id,
    resourceId=reports["id"],
    httpMethod="GET",
    type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=invocation_uri(backend),
)
apigw.create_deployment(restApiId=api_id, stageName="prod")
allow_api_gateway("reports", api_id)
# The authorizer is a separate invocation and needs its own permission.
allow_api_gateway("token-check", api_id)
print(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/reports")
