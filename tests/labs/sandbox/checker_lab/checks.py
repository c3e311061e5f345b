"""Checks that exercise every part of the checker API (tests/labs/sandbox/test_checker.py)."""

from labs.sandbox.checker import check


@check("Reads the submission and its output", points=1)
def reads_submission(ctx):
    ctx.require("provision.py" in ctx.files, "provision.py is missing")
    ctx.require("ready" in ctx.output, "The script did not print 'ready'.", hint="print('ready')")
    return f"Saw {len(ctx.files)} files."


@check("Partial credit", points=4, hint="default hint")
def partial(ctx):
    ctx.partial(1.5, "Half done.", hint="Finish the other half.")


@check("Plain failure uses the default hint", points=1, hint="default hint")
def plain_failure(ctx):
    ctx.require(False, "Not there.")


@check("Needs the failed one", points=1, after=["plain_failure"], hint="fix the other first")
def needs_failure(ctx):
    return "never runs"


@check("AWS errors are readable", points=1)
def aws_error(ctx):
    ctx.client("sqs").get_queue_url(QueueName="missing")


@check("Bugs in a check fail only that check", points=1)
def crashing(ctx):
    return {}["absent"]


@check("Over-generous partial is capped at the check's points", points=2)
def capped(ctx):
    ctx.partial(99, "Too generous.")


@check("API answers through the emulated gateway", points=2, after=["reads_submission"])
def http_api(ctx):
    apis = ctx.client("apigateway").get_rest_apis()["items"]
    ctx.require(apis, "No REST API.")
    url = f"https://{apis[0]['id']}.execute-api.{ctx.region}.amazonaws.com/prod/hello"
    response = ctx.http("GET", url)
    ctx.require(response.status == 200, f"GET /hello answered {response.status}: {response.body!r}")
    return response.json()["message"]


@check("Account and region are the sandbox's", points=1)
def account(ctx):
    ctx.require((ctx.account_id, ctx.region) == ("123456789012", "us-east-1"), "wrong account")
