"""Checks for the test-only slow lab: the second one takes two seconds, long enough for a
fault test to see the submission "running" and kill or cut something under it."""

import time

from labs.sandbox.checker import check

SLOW_SECONDS = 2


def _url(ctx):
    return ctx.client("sqs").get_queue_url(QueueName="jobs")["QueueUrl"]


@check("The jobs queue exists", points=1, hint="Create a queue named exactly `jobs`.")
def queue_exists(ctx):
    _url(ctx)


@check("Visibility timeout is 60 seconds (slowly)", points=2, after=["queue_exists"])
def visibility(ctx):
    time.sleep(SLOW_SECONDS)
    attrs = ctx.client("sqs").get_queue_attributes(
        QueueUrl=_url(ctx), AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    ctx.require(attrs["VisibilityTimeout"] == "60", "The visibility timeout is not 60 seconds.")
