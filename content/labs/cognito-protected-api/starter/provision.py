"""Create the notes-users pool and the private-notes API behind it."""

import io
import json
import zipfile

import boto3

REGION = "us-east-1"

iam = boto3.client("iam")
lam = boto3.client("lambda")
apigw = boto3.client("apigateway")
cognito = boto3.client("cognito-idp")
account = boto3.client("sts").get_caller_identity()["Account"]

pool = cognito.create_user_pool(PoolName="notes-users")["UserPool"]
cognito.create_user_pool_client(
    UserPoolId=pool["Id"],
    ClientName="notes-web",
    GenerateSecret=False,
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
)

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
role = iam.create_role(RoleName="private-notes-role", AssumeRolePolicyDocument=json.dumps(trust))
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
function = lam.create_function(
    FunctionName="private-notes",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
)

api_id = apigw.create_rest_api(name="private-notes-api")["id"]
root_id = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
notes = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="notes")

# TODO: create a COGNITO_USER_POOLS authorizer that trusts the pool, and use it below.
apigw.put_method(
    restApiId=api_id, resourceId=notes["id"], httpMethod="GET", authorizationType="NONE"
)
apigw.put_integration(
    restApiId=api_id,
    resourceId=notes["id"],
    httpMethod="GET",
    type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"{function['FunctionArn']}/invocations",
)
apigw.create_deployment(restApiId=api_id, stageName="prod")
lam.add_permission(
    FunctionName="private-notes",
    StatementId="private-notes-api-invoke",
    Action="lambda:InvokeFunction",
    Principal="apigateway.amazonaws.com",
    SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*",
)
print(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/notes")
