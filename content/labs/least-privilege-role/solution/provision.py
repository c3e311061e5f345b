"""Create the Orders table, a least-privilege execution role and the orders-reader function."""

import io
import json
import zipfile

import boto3

REGION = "us-east-1"
FUNCTION = "orders-reader"

dynamodb = boto3.client("dynamodb")
iam = boto3.client("iam")
lam = boto3.client("lambda")
account = boto3.client("sts").get_caller_identity()["Account"]

table = dynamodb.create_table(
    TableName="Orders",
    KeySchema=[
        {"AttributeName": "customerId", "KeyType": "HASH"},
        {"AttributeName": "orderId", "KeyType": "RANGE"},
    ],
    AttributeDefinitions=[
        {"AttributeName": "customerId", "AttributeType": "S"},
        {"AttributeName": "orderId", "AttributeType": "S"},
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
role = iam.create_role(RoleName="orders-reader-role", AssumeRolePolicyDocument=json.dumps(trust))

log_group = f"arn:aws:logs:{REGION}:{account}:log-group:/aws/lambda/{FUNCTION}"
permissions = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOrders",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": table["TableArn"],
        },
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group, f"{log_group}:*"],
        },
    ],
}
iam.put_role_policy(
    RoleName="orders-reader-role",
    PolicyName="orders-reader-access",
    PolicyDocument=json.dumps(permissions),
)

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")

lam.create_function(
    FunctionName=FUNCTION,
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
    Environment={"Variables": {"TABLE_NAME": "Orders"}},
)
print("orders-reader deployed with a least-privilege role")
