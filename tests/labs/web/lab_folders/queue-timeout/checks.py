"""Checks for the test-only queue lab."""

from labs.sandbox.checker import check


def _url(ctx):
    return ctx.client("sqs").get_queue_url(QueueName="jobs")["QueueUrl"]


@check("The jobs queue exists", points=1, hint="Create a queue named exactly `jobs`.")
def queue_exists(ctx):
    _url(ctx)


@check(
    "Visibility timeout is 60 seconds",
    points=2,
    after=["queue_exists"],
    hint="Pass Attributes={'VisibilityTimeout': '60'} to create_queue.",
)
def visibility(ctx):
    attrs = ctx.client("sqs").get_queue_attributes(
        QueueUrl=_url(ctx), AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    ctx.require(
        attrs["VisibilityTimeout"] == "60",
        f"The visibility timeout is {attrs['VisibilityTimeout']} seconds, not 60.",
    )
