"""Create the Orders table sized for the stated workload."""

import math

import boto3

# 50 strongly consistent reads/s of 7 KB items: each read needs ceil(7 / 4) = 2 RCU.
READ_UNITS = 50 * math.ceil(7 / 4)
# 20 writes/s of 2.5 KB items: each write needs ceil(2.5 / 1) = 3 WCU.
WRITE_UNITS = 20 * math.ceil(2.5 / 1)

dynamodb = boto3.client("dynamodb")

dynamodb.create_table(
    TableName="Orders",
    KeySchema=[
        {"AttributeName": "customerId", "KeyType": "HASH"},
        {"AttributeName": "orderId", "KeyType": "RANGE"},
    ],
    AttributeDefinitions=[
        {"AttributeName": "customerId", "AttributeType": "S"},
        {"AttributeName": "orderId", "AttributeType": "S"},
        {"AttributeName": "status", "AttributeType": "S"},
        {"AttributeName": "createdAt", "AttributeType": "S"},
    ],
    GlobalSecondaryIndexes=[
        {
            "IndexName": "status-index",
            "KeySchema": [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "createdAt", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
            # The index must keep up with every table write, or it throttles the table.
            "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": WRITE_UNITS},
        }
    ],
    BillingMode="PROVISIONED",
    ProvisionedThroughput={"ReadCapacityUnits": READ_UNITS, "WriteCapacityUnits": WRITE_UNITS},
    # The indexer only needs the item after the change.
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
)
dynamodb.get_waiter("table_exists").wait(TableName="Orders")

dynamodb.update_time_to_live(
    TableName="Orders",
    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
)
print(f"Orders table created with {READ_UNITS} RCU and {WRITE_UNITS} WCU")
