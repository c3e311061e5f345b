"""Deploy notes-handler and put the notes-api REST API in front of it."""

import io
import json
import zipfile

import boto3

REGION = "us-east-1"

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
role = iam.create_role(RoleName="notes-handler-role", AssumeRolePolicyDocument=json.dumps(trust))

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
function = lam.create_function(
    FunctionName="notes-handler",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
)

api = apigw.create_rest_api(name="notes-api")
api_id = api["id"]
root_id = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
notes = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="notes")
note = apigw.create_resource(restApiId=api_id, parentId=notes["id"], pathPart="{id}")

apigw.put_method(
    restApiId=api_id, resourceId=note["id"], httpMethod="GET", authorizationType="NONE"
)
# TODO: integrate GET /notes/{id} with the function (type AWS_PROXY).
# TODO: add POST /notes with the same kind of integration.
# TODO: deploy the API to the stage `prod`.
# TODO: allow apigateway.amazonaws.com to invoke the function.
print("API id:", api_id)
