"""Create the Orders table, the execution role and the orders-reader function."""

import io
import json
import zipfile

import boto3

dynamodb = boto3.client("dynamodb")
iam = boto3.client("iam")
lam = boto3.client("lambda")

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

# TODO: this works, but it lets the function do anything to any table and any log group.
# Allow only the two DynamoDB actions the handler uses, on the Orders table, and the log
# actions on the function's own log group.
permissions = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
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
    FunctionName="orders-reader",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
    Environment={"Variables": {"TABLE_NAME": "Orders"}},
)
print("orders-reader deployed")
