"""Deploy greeter, publish version 1 and route the live alias."""

import io
import json
import zipfile

import boto3

iam = boto3.client("iam")
lam = boto3.client("lambda")

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
role = iam.create_role(RoleName="greeter-role", AssumeRolePolicyDocument=json.dumps(trust))

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")

lam.create_function(
    FunctionName="greeter",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
    Environment={"Variables": {"GREETING": "Hello", "STAGE": "prod"}},
)
lam.get_waiter("function_active_v2").wait(FunctionName="greeter")
v1 = lam.publish_version(FunctionName="greeter", Description="Hello")["Version"]
print("published version", v1)

# TODO: change GREETING to Howdy, wait for the update, publish version 2.

# TODO: route 10% of the alias to version 2.
lam.create_alias(FunctionName="greeter", Name="live", FunctionVersion=v1)
