"""The Lambda runtime as learner code sees it: functions created and invoked with boto3
inside a provisioning script, run from their zip in execution environments."""

from __future__ import annotations

import json

from labs.sandbox import engine

PRELUDE = """
import base64, io, json, zipfile
import boto3
from botocore.config import Config

lam = boto3.client("lambda", config=Config(retries={"max_attempts": 1}))
ROLE = "arn:aws:iam::123456789012:role/fn-role"
boto3.client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")

def zipped(**modules):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, code in modules.items():
            archive.writestr(name, code)
    return buffer.getvalue()

def make(name, code=None, handler="app.handler", zip_bytes=None, **extra):
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler=handler,
                        Code={"ZipFile": zip_bytes or zipped(**{"app.py": code})}, **extra)

def call(name, payload=None, **extra):
    reply = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **extra)
    return reply, reply["Payload"].read().decode()
"""


def run_script(body: str) -> dict:
    # Script lines are indented by 8 spaces in the tests; embedded handler code is not.
    script = "\n".join(line.removeprefix(" " * 8) for line in body.splitlines())
    result = engine.run({"provision.py": PRELUDE + script})
    assert result["status"] == "graded", result
    return result


def lines(result: dict) -> list[str]:
    return result["output"].splitlines()


def test_handler_sees_its_environment_and_a_real_context(sandbox):
    result = run_script('''
        make("ctx", """
import os
def handler(event, context):
    return {
        "event": event,
        "greeting": os.environ["GREETING"],
        "name": context.function_name,
        "version": context.function_version,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "group": context.log_group_name,
        "request_id_length": len(context.aws_request_id),
        "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 5000,
        "region": os.environ["AWS_REGION"],
        "fn_env": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
    }
""", MemorySize=256, Timeout=5, Environment={"Variables": {"GREETING": "hej"}})
        reply, payload = call("ctx", {"a": 1})
        print(reply["StatusCode"], reply.get("FunctionError"), reply["ExecutedVersion"])
        print(payload)
    ''')
    status, body = lines(result)
    assert status == "200 None $LATEST"
    assert json.loads(body) == {
        "event": {"a": 1},
        "greeting": "hej",
        "name": "ctx",
        "version": "$LATEST",
        "memory": 256,
        "arn": "arn:aws:lambda:us-east-1:123456789012:function:ctx",
        "group": "/aws/lambda/ctx",
        "request_id_length": 36,
        "remaining_ok": True,
        "region": "us-east-1",
        "fn_env": "ctx",
    }


def test_handler_exception_is_an_unhandled_aws_error(sandbox):
    result = run_script('''
        make("boom", """
def handler(event, context):
    raise ValueError("bad input: " + event["x"])
""")
        reply, payload = call("boom", {"x": "42"})
        print(reply["StatusCode"], reply["FunctionError"])
        print(payload)
    ''')
    status, body = lines(result)
    assert status == "200 Unhandled"
    error = json.loads(body)
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "bad input: 42")
    assert len(error["requestId"]) == 36
    assert error["stackTrace"][-1].strip().endswith('raise ValueError("bad input: " + event["x"])')


def test_import_and_handler_errors_have_runtime_error_types(sandbox):
    result = run_script("""
        make("noimport", "import not_a_module\\ndef handler(e, c):\\n    return 1\\n")
        make("nohandler", "def other(e, c):\\n    return 1\\n")
        for name in ("noimport", "nohandler"):
            reply, payload = call(name)
            error = json.loads(payload)
            print(reply["FunctionError"], error["errorType"], error["errorMessage"])
    """)
    assert lines(result) == [
        "Unhandled Runtime.ImportModuleError Unable to import module 'app': "
        "No module named 'not_a_module'",
        "Unhandled Runtime.HandlerNotFound Handler 'handler' missing on module 'app'",
    ]


def test_timeout_kills_the_invocation_with_the_aws_message(sandbox):
    result = run_script("""
        make("slow", "import time\\ndef handler(e, c):\\n    time.sleep(30)\\n", Timeout=1)
        reply, payload = call("slow")
        error = json.loads(payload)
        print(reply["FunctionError"], error["errorType"], error["errorMessage"].split(" ", 2)[2])
    """)
    assert lines(result) == [
        "Unhandled Sandbox.Timedout Task timed out after 1.00 seconds",
    ]


def test_log_tail_has_start_end_report_and_cold_start_only_once(sandbox):
    result = run_script("""
        make("logger", "def handler(e, c):\\n    print('hello from', c.function_name)\\n    return 'ok'\\n")
        for _ in range(2):
            reply, payload = call("logger", LogType="Tail")
            log = base64.b64decode(reply["LogResult"]).decode()
            rows = log.splitlines()
            print(payload, rows[0].split(":")[0], rows[1], rows[2].split(":")[0],
                  rows[3].startswith("REPORT RequestId:"), "Init Duration" in rows[3])
        reply, _ = call("logger")
        print("LogResult" in reply)
    """)
    assert lines(result) == [
        '"ok" START RequestId hello from logger END RequestId True True',
        '"ok" START RequestId hello from logger END RequestId True False',
        "False",
    ]


def test_log_tail_is_the_last_4_kb(sandbox):
    result = run_script("""
        make("chatty", "def handler(e, c):\\n    print('x' * 10000)\\n    return 1\\n")
        reply, _ = call("chatty", LogType="Tail")
        log = base64.b64decode(reply["LogResult"])
        print(len(log), log.decode().splitlines()[-1].startswith("REPORT"))
    """)
    assert lines(result) == ["4096 True"]


def test_warm_environment_keeps_module_state_until_the_code_changes(sandbox):
    counter = (
        "COUNT = 0\\ndef handler(e, c):\\n    global COUNT\\n    COUNT += 1\\n    return COUNT\\n"
    )
    result = run_script(f'''
        make("counter", "{counter}")
        print([call("counter")[1] for _ in range(3)])
        lam.update_function_code(FunctionName="counter", ZipFile=zipped(**{{"app.py": "{counter}" + "# v2"}}))
        print([call("counter")[1] for _ in range(2)])
    ''')
    assert lines(result) == ["['1', '2', '3']", "['1', '2']"]


def test_handler_calling_dynamodb_while_the_caller_waits(sandbox):
    # Re-entrancy: the script waits on lambda.invoke while the host serves the handler's
    # own DynamoDB and Lambda requests (two levels deep).
    result = run_script('''
        boto3.client("dynamodb").create_table(
            TableName="T", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")
        make("writer", """
import boto3
table = boto3.resource("dynamodb").Table("T")
def handler(event, context):
    table.put_item(Item={"k": event["k"], "v": "written"})
    return table.get_item(Key={"k": event["k"]})["Item"]["v"]
""")
        make("front", """
import json, boto3
lam = boto3.client("lambda")
def handler(event, context):
    reply = lam.invoke(FunctionName="writer", Payload=json.dumps({"k": "a"}))
    return "front saw " + json.loads(reply["Payload"].read())
""")
        print(call("front")[1])
        print(boto3.client("dynamodb").get_item(TableName="T", Key={"k": {"S": "a"}})["Item"]["v"]["S"])
    ''')
    assert lines(result) == ['"front saw written"', "written"]


def test_layers_are_importable(sandbox):
    result = run_script("""
        layer = lam.publish_layer_version(
            LayerName="shared", Content={"ZipFile": zipped(**{"python/shared.py": "WORD = 'layered'"})},
            CompatibleRuntimes=["python3.11"])
        make("uses-layer", "import shared\\ndef handler(e, c):\\n    return shared.WORD\\n",
             Layers=[layer["LayerVersionArn"]])
        print(call("uses-layer")[1])
    """)
    assert lines(result) == ['"layered"']


def test_crashing_environment_is_a_runtime_exit_error_and_is_replaced(sandbox):
    result = run_script("""
        make("crash", "import os\\ndef handler(e, c):\\n    if e.get('die'):\\n        os._exit(3)\\n    return 'alive'\\n")
        reply, payload = call("crash", {"die": True})
        print(reply["FunctionError"], json.loads(payload)["errorType"])
        print(call("crash")[1])
    """)
    assert lines(result) == ["Unhandled Runtime.ExitError", '"alive"']


def test_unserialisable_result_is_a_marshal_error(sandbox):
    result = run_script("""
        make("sets", "def handler(e, c):\\n    return {1, 2}\\n")
        reply, payload = call("sets")
        print(reply["FunctionError"], json.loads(payload)["errorType"])
    """)
    assert lines(result) == ["Unhandled Runtime.MarshalError"]


def test_runaway_recursion_is_throttled(sandbox):
    result = run_script('''
        make("recurse", """
import json, boto3
from botocore.config import Config
lam = boto3.client("lambda", config=Config(retries={"max_attempts": 1}))
def handler(event, context):
    reply = lam.invoke(FunctionName="recurse", Payload=json.dumps({"depth": event.get("depth", 0) + 1}))
    return json.loads(reply["Payload"].read())
""", Timeout=10)
        reply, payload = call("recurse")
        error = json.loads(payload)
        print(error["errorType"], "TooManyRequestsException" in error["errorMessage"])
    ''')
    assert lines(result) == ["TooManyRequestsException True"]


def test_event_invocation_is_accepted_and_runs(sandbox):
    result = run_script('''
        boto3.client("sqs").create_queue(QueueName="seen")
        make("async", """
import boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/seen", MessageBody="ran")
""")
        reply = lam.invoke(FunctionName="async", InvocationType="Event", Payload="{}")
        print(reply["StatusCode"], reply["Payload"].read())
        q = boto3.client("sqs").get_queue_url(QueueName="seen")["QueueUrl"]
        print([m["Body"] for m in boto3.client("sqs").receive_message(QueueUrl=q).get("Messages", [])])
    ''')
    assert lines(result) == ["202 b''", "['ran']"]


def test_logging_goes_to_the_function_log_as_on_aws(sandbox):
    result = run_script('''
        make("logs", """
import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(event, context):
    logger.info("processing %s", event["id"])
    logging.getLogger("quiet").debug("never shown")
    return context.aws_request_id
""")
        reply, payload = call("logs", {"id": "o-1"}, LogType="Tail")
        rows = base64.b64decode(reply["LogResult"]).decode().splitlines()
        level, stamp, request_id, message = rows[1].split("\\t")
        print(level, stamp.endswith("Z"), request_id == json.loads(payload), message, len(rows))
    ''')
    assert lines(result) == ["[INFO] True True processing o-1 4"]


VERSIONED = """
        make("ver", "def handler(e, c):\\n    return [c.function_version, c.invoked_function_arn]\\n")
        lam.publish_version(FunctionName="ver")
        lam.update_function_configuration(FunctionName="ver", Description="second")
        lam.publish_version(FunctionName="ver")
        def show(reply, payload):
            version, arn = json.loads(payload)
            print(reply["ExecutedVersion"], repr(version), arn.rsplit(":function:", 1)[1])
"""


def test_qualifier_and_qualified_names_run_that_version(sandbox):
    # moto 5.2.5 reads the Invoke query parameter as `qualifier`, so Qualifier="1" ran
    # $LATEST; and a JSON payload key "qualifier" must not pick the version either.
    result = run_script(
        VERSIONED
        + """
        show(*call("ver", Qualifier="1"))
        show(*call("ver:2"))
        show(*call("arn:aws:lambda:us-east-1:123456789012:function:ver", Qualifier="2"))
        show(*call("ver", {"qualifier": "2"}))
        show(*call("ver", Qualifier="$LATEST"))
        """
    )
    assert lines(result) == [
        "1 '1' ver:1",
        "2 '2' ver:2",
        "2 '2' ver:2",
        "$LATEST '$LATEST' ver",
        "$LATEST '$LATEST' ver:$LATEST",
    ]


def test_weighted_alias_splits_learner_invocations_between_versions(sandbox):
    result = run_script(
        VERSIONED
        + """
        lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
        seen = []
        for name, extra in [("ver", {"Qualifier": "live"}), ("ver:live", {})] * 20:
            reply, payload = call(name, **extra)
            version, arn = json.loads(payload)
            assert reply["ExecutedVersion"] == version, (reply["ExecutedVersion"], version)
            assert arn.endswith(":function:ver:live"), arn
            seen.append(version)
        print(sorted(set(seen)), seen.count("1") + seen.count("2"))
        print(lam.get_alias(FunctionName="ver", Name="live")["FunctionVersion"])
        """
    )
    # The draws come from the run's seeded generator: both versions, every call accounted.
    assert lines(result) == ["['1', '2'] 40", "1"]


def test_event_invocation_hides_the_handler_error_from_the_caller(sandbox):
    result = run_script('''
        make("fails", """
def handler(event, context):
    print("ran", event["n"])
    raise RuntimeError("nobody waits for me")
""")
        reply = lam.invoke(FunctionName="fails", InvocationType="Event", Payload='{"n": 1}')
        print(reply["StatusCode"], reply["Payload"].read(), "FunctionError" in reply,
              "LogResult" in reply)
        dry = lam.invoke(FunctionName="fails", InvocationType="DryRun", Payload='{"n": 2}')
        print(dry["StatusCode"], dry["Payload"].read())
        logs = boto3.client("logs")
        streams = logs.describe_log_streams(logGroupName="/aws/lambda/fails")["logStreams"]
        events = [e["message"] for s in streams for e in logs.get_log_events(
            logGroupName="/aws/lambda/fails", logStreamName=s["logStreamName"])["events"]]
        text = "\\n".join(events)
        print(text.count("ran 1"), text.count("ran 2"), "nobody waits for me" in text)
    ''')
    assert lines(result) == ["202 b'' False False", "204 b''", "1 0 True"]
