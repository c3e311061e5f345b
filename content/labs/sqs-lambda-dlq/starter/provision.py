"""Wire orders-queue to order-worker, with a dead-letter queue for broken orders."""

import io
import json
import zipfile

import boto3

FUNCTION_TIMEOUT = 10

iam = boto3.client("iam")
lam = boto3.client("lambda")
sqs = boto3.client("sqs")
dynamodb = boto3.client("dynamodb")

table = dynamodb.create_table(
    TableName="ProcessedOrders",
    KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)["TableDescription"]

dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
    "QueueArn"
]

# TODO: add a RedrivePolicy to orders-dlq (maxReceiveCount 3) and size VisibilityTimeout
# from the function timeout.
queue_url = sqs.create_queue(
    QueueName="orders-queue",
    Attributes={"VisibilityTimeout": "30"},
)["QueueUrl"]
queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
    "QueueArn"
]

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
role = iam.create_role(RoleName="order-worker-role", AssumeRolePolicyDocument=json.dumps(trust))
iam.put_role_policy(
    RoleName="order-worker-role",
    PolicyName="order-worker-access",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    "Resource": queue_arn,
                },
                {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table["TableArn"]},
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/order-worker:*",
                },
            ],
        }
    ),
)

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.write("handler.py")
lam.create_function(
    FunctionName="order-worker",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="handler.handler",
    Code={"ZipFile": buffer.getvalue()},
    Timeout=FUNCTION_TIMEOUT,
    Environment={"Variables": {"TABLE_NAME": "ProcessedOrders"}},
)

# TODO: let the function report which records failed.
lam.create_event_source_mapping(
    EventSourceArn=queue_arn,
    FunctionName="order-worker",
    BatchSize=10,
)
print("orders-queue -> order-worker")
