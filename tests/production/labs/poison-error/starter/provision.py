import boto3

sqs = boto3.client("sqs")
# TODO: set the visibility timeout.
sqs.create_queue(QueueName="jobs")
print("queue created")
