"""Audit every change to Products through its stream."""

import io
import json
import zipfile

import boto3

iam = boto3.client("iam")
lam = boto3.client("lambda")
dynamodb = boto3.client("dynamodb")

products = dynamodb.create_table(
    TableName="Products",
    KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
    # The auditor needs the price before and after every change.
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
)["TableDescription"]
audit = dynamodb.create_table(
    TableName="ProductAudit",
    KeySchema=[
        {"AttributeName": "sku", "KeyType": "HASH"},
        {"AttributeName": "eventId", "KeyType": "RANGE"},
    ],
    AttributeDefinitions=[
        {"AttributeName": "sku", "AttributeType": "S"},
        {"AttributeName": "eventId", "AttributeType": "S"},
    ],
    BillingMode="PAY_PER_REQUEST",
)["TableDescription"]

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
role = iam.create_role(RoleName="product-auditor-role", AssumeRolePolicyDocument=json.dumps(trust))
iam.put_role_policy(
    RoleName="product-auditor-role",
    PolicyName="product-auditor-access",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:DescribeStream",
                        "dynamodb:ListStreams",
                    ],
                    "Resource": f"{products['TableArn']}/stream/*",
                },
                {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": audit["TableArn"]},
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/product-auditor:*",
                },
            ],
        }
    ),
)

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
lam.create_function(
    FunctionName="product-auditor",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
    Timeout=30,
    Environment={"Variables": {"AUDIT_TABLE": "ProductAudit"}},
)

lam.create_event_source_mapping(
    EventSourceArn=products["LatestStreamArn"],
    FunctionName="product-auditor",
    StartingPosition="LATEST",
    BatchSize=100,
)
print("Products stream -> product-auditor -> ProductAudit")
