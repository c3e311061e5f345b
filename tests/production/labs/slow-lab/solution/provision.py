import boto3

sqs = boto3.client("sqs")
sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "60"})
print("queue created")
