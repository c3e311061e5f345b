"""Deploy greeter, publish two versions and send 10% of the live alias to the newer one."""

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

# Variables replaces the whole map, so STAGE is sent again.
lam.update_function_configuration(
    FunctionName="greeter",
    Environment={"Variables": {"GREETING": "Howdy", "STAGE": "prod"}},
)
lam.get_waiter("function_updated_v2").wait(FunctionName="greeter")
v2 = lam.publish_version(FunctionName="greeter", Description="Howdy")["Version"]

lam.create_alias(
    FunctionName="greeter",
    Name="live",
    FunctionVersion=v1,
    RoutingConfig={"AdditionalVersionWeights": {v2: 0.1}},
)
print(f"live: version {v1} at 90%, version {v2} at 10%")
