import io
import zipfile

import boto3

dynamodb = boto3.client("dynamodb")
dynamodb.create_table(
    TableName="Notes",
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)
iam = boto3.client("iam")
role = iam.create_role(RoleName="notes-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
fn = boto3.client("lambda")
fn.create_function(
    FunctionName="notes-writer",
    Runtime="python3.11",
    Role=role,
    Handler="handler.handle",
    Code={"ZipFile": buffer.getvalue()},
    Environment={"Variables": {"TABLE": "Notes"}},
)
print("provisioned")
