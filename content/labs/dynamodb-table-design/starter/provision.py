"""Create the Orders table. Run with the sandbox's credentials (region us-east-1)."""

import boto3

dynamodb = boto3.client("dynamodb")

dynamodb.create_table(
    TableName="Orders",
    # TODO: add the sort key `orderId` (and its attribute definition).
    KeySchema=[{"AttributeName": "customerId", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "customerId", "AttributeType": "S"}],
    # TODO: add the `status-index` global secondary index.
    # TODO: size the table from the workload in the instructions and switch to PROVISIONED.
    BillingMode="PAY_PER_REQUEST",
    # TODO: enable the stream with the view type the search indexer needs.
)
dynamodb.get_waiter("table_exists").wait(TableName="Orders")

# TODO: enable time to live on `expiresAt`.
print("Orders table created")
