"""The hostile-submission matrix: each submission attacks the sandbox or the grade and has
one exact expected outcome. After every one of them the same engine must still grade the
reference solution with full marks, and no process of the hostile run may remain.

Limits are lowered so the matrix stays quick: 1 s of CPU with a generous wall clock, so
CPU-bound attacks always meet the CPU limit even on a loaded machine, and 2 s of wall clock
for the attacks that idle (sleeping, trapping signals, a fork bomb). The mechanisms are the
ones production runs with.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from labs.sandbox import engine
from labs.sandbox.engine import PROJECT_ROOT
from labs.sandbox.isolation import Limits
from tests.labs.sandbox.conftest import full_marks, leftover_processes

LIMITS = Limits(cpu_seconds=1, wall_seconds=20.0, run_memory_mb=1024)
IDLE_LIMITS = Limits(cpu_seconds=5, wall_seconds=2.0, run_memory_mb=1024)
NO_TABLE = "DescribeTable failed: ResourceNotFoundException: Requested resource not found: Table: Notes not found"

# Provisioning that earns full marks, for attacks that come on top of honest work.
HONEST = (PROJECT_ROOT / "tests/labs/sandbox/lab/solution/provision.py").read_text()
HANDLER = (PROJECT_ROOT / "tests/labs/sandbox/lab/solution/handler.py").read_text()


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]
    expect: Callable[[dict], None]
    limits: Limits = LIMITS


def zero_score(result: dict) -> None:
    assert result["status"] == "graded", result["reason"]
    assert (result["score"], result["max_score"]) == (0, 6)
    assert result["checks"][0]["message"] == NO_TABLE
    assert [check["passed"] for check in result["checks"]] == [False, False, False]


def zero_with_output(*fragments: str, ending: str | None = None) -> Callable[[dict], None]:
    def expect(result: dict) -> None:
        zero_score(result)
        for fragment in fragments:
            assert fragment in result["output"], (fragment, result["output"][-2000:])
        if ending is not None:
            assert result["output"].endswith(ending), result["output"][-500:]

    return expect


def script(code: str, **extra: str) -> dict[str, str]:
    return {"provision.py": code, **extra}


def expect_flood(result: dict) -> None:
    zero_score(result)
    kept, marker = result["output"].split("\n[output truncated: ")
    assert kept == "A" * (64 * 1024)
    assert marker == f"{10 * 1024 * 1024 - 64 * 1024} more bytes were not kept]\n"


def expect_binary_and_html(result: dict) -> None:
    zero_score(result)
    assert result["output"].startswith("<script>alert('verdict')</script>\n")
    assert "\ufffd" in result["output"]  # invalid UTF-8 is replaced, never passed through
    json.dumps(result)


def expect_env(result: dict) -> None:
    zero_score(result)
    assert json.loads(result["output"]) == [
        "AWS_ACCESS_KEY_ID",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "HOME",
        "LANG",
        "PATH",
        "PYTHONIOENCODING",
        "TMPDIR",
    ]


def expect_full_marks_anyway(*fragments: str) -> Callable[[dict], None]:
    def expect(result: dict) -> None:
        assert result["status"] == "graded"
        assert (result["score"], result["max_score"]) == (6, 6), result["checks"]
        for fragment in fragments:
            assert fragment in result["output"], (fragment, result["output"])

    return expect


def expect_ungradable(reason: str) -> Callable[[dict], None]:
    def expect(result: dict) -> None:
        assert (result["status"], result["gradable"], result["reason"]) == (
            "ungradable",
            False,
            reason,
        )

    return expect


def expect_hanging_handler(result: dict) -> None:
    assert result["status"] == "graded"
    assert result["score"] == 2
    message = result["checks"][1]["message"]
    assert message.startswith(
        'The function failed: {"errorType": "Sandbox.Timedout", "errorMessage": "'
    )
    assert message.endswith('Task timed out after 1.00 seconds"}')


SLOW_HANDLER = HONEST.replace(
    'Environment={"Variables": {"TABLE": "Notes"}},',
    'Environment={"Variables": {"TABLE": "Notes"}}, Timeout=1,',
)

CASES = [
    Case(
        "infinite-loop",
        script("while True:\n    pass\n"),
        zero_with_output(ending="\n[the script was killed by SIGXCPU (CPU time limit of 1 s)]\n"),
    ),
    Case(
        "sleep",
        script("import time\nprint('napping', flush=True)\ntime.sleep(600)\n"),
        zero_with_output(ending="napping\n\n[stopped: the script was still running after 2 s]\n"),
        IDLE_LIMITS,
    ),
    Case(
        "stdin-read",
        script("print(input('name? '))\n"),
        zero_with_output(
            "EOFError: EOF when reading a line", ending="\n[the script exited with status 1]\n"
        ),
    ),
    Case(
        "memory-bomb",
        script("data = bytearray(8 * 1024 ** 3)\n"),
        zero_with_output("MemoryError", ending="\n[the script exited with status 1]\n"),
    ),
    Case(
        "memory-across-many-processes",
        script(
            "import os, time\n"
            "for _ in range(8):\n"
            "    if os.fork() == 0:\n"
            "        block = b'x' * (300 * 1024 * 1024)\n"
            "        time.sleep(30)\n"
            "        os._exit(0)\n"
            "time.sleep(30)\n"
        ),
        zero_with_output(
            ending="\n[stopped: the run's processes used more than 1024 MB of memory together]\n"
        ),
    ),
    Case(
        "fork-bomb",
        script(
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
        ),
        zero_score,
        IDLE_LIMITS,
    ),
    Case(
        "double-fork-daemon",
        script(
            "import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        for fd in (0, 1, 2, 3):\n"
            "            os.close(fd)\n"
            "        time.sleep(3600)\n"
            "    os._exit(0)\n"
            "print('parent leaves')\n"
        ),
        zero_with_output(ending="parent leaves\n"),
    ),
    Case(
        "huge-file",
        script("with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * 1048576)\n"),
        zero_with_output(
            "OSError: [Errno 27] File too large", ending="\n[the script exited with status 1]\n"
        ),
    ),
    Case(
        "many-files",
        script("handles = [open(f'f{i}', 'w') for i in range(5000)]\n"),
        zero_with_output("OSError: [Errno 24] Too many open files"),
    ),
    Case(
        "output-flood",
        script("import sys\nsys.stdout.write('A' * (10 * 1024 * 1024))\n"),
        expect_flood,
    ),
    Case(
        "binary-and-html-output",
        script(
            "import sys\nprint(\"<script>alert('verdict')</script>\", flush=True)\n"
            "sys.stdout.buffer.write(bytes(range(256)))\n"
        ),
        expect_binary_and_html,
    ),
    Case(
        "internet-egress",
        script("import socket\nsocket.create_connection(('1.1.1.1', 443), timeout=1)\n"),
        zero_with_output("OSError: [Errno 101] Network is unreachable"),
    ),
    Case(
        "cloud-metadata",
        script(
            "import urllib.request\nurllib.request.urlopen('http://169.254.169.254/latest/meta-data/', timeout=1)\n"
        ),
        zero_with_output("Network is unreachable"),
    ),
    Case(
        "local-services",
        script(
            "import socket\nfor port in (5432, 6379, 8000):\n"
            "    try:\n        socket.create_connection(('127.0.0.1', port), timeout=1)\n        print('open', port)\n"
            "    except OSError as exc:\n        print(port, exc.errno)\n"
        ),
        zero_with_output("5432 101\n6379 101\n8000 101\n"),
    ),
    Case(
        "environment-secrets",
        script("import json, os\nprint(json.dumps(sorted(os.environ)))\n"),
        expect_env,
    ),
    Case(
        "project-files",
        script(
            f"import os\nfor path in ('{PROJECT_ROOT}/config/settings.py', '{PROJECT_ROOT}/var/secret_key', '{PROJECT_ROOT}/db.sqlite3'):\n"
            "    print(os.path.exists(path))\n"
            f"try:\n    print(os.listdir('{PROJECT_ROOT}'))\n"
            "except OSError as exc:\n    print('listing', exc.errno)\n"
        ),
        # The project is covered (or, for a checkout under /tmp, absent from the private
        # /tmp); the path down to the re-exposed virtualenv can be walked, never listed.
        zero_with_output(ending="False\nFalse\nFalse\nlisting 13\n"),
    ),
    Case(
        "other-submissions",
        script(
            "import glob, os\nprint(glob.glob('/tmp/*/*'))\n"
            "try:\n    os.listdir(os.path.dirname(os.getcwd()))\nexcept OSError as exc:\n    print('listing', exc.errno)\n"
        ),
        zero_with_output("[]\nlisting 13\n"),
    ),
    Case(
        "proc-snooping",
        script(
            "import os\nmine = [p for p in os.listdir('/proc') if p.isdigit()]\n"
            "print(all(os.stat(f'/proc/{p}').st_uid == os.getuid() for p in mine))\n"
            "print(os.path.exists('/proc/1/environ'))\n"
        ),
        zero_with_output("True\nFalse\n"),
    ),
    Case(
        "kill-the-parent",
        script(
            "import os, signal\n"
            "for target in (os.getppid(), 1):\n"
            "    try:\n        os.kill(target, signal.SIGKILL)\n    except OSError as exc:\n        print('kill', exc.errno)\n"
        ),
        zero_with_output("kill 1\nkill 1\n"),
    ),
    Case(
        "symlink-planting",
        script(
            "import os, zipfile\nos.symlink('/etc/shadow', 'handler.py')\n"
            "try:\n    zipfile.ZipFile('code.zip', 'w').write('handler.py')\nexcept OSError as exc:\n    print('zip', exc.errno)\n"
            "os.symlink('/', 'root-link')\nprint(os.path.exists('root-link/work/main/manage.py'))\n"
        ),
        zero_with_output("zip 13\nFalse\n"),
    ),
    Case(
        "fake-verdict-printed",
        script(
            "import json\nprint(json.dumps({'score': 6, 'max_score': 6, 'status': 'graded', 'gradable': True}))\n"
        ),
        zero_with_output('"score": 6'),
    ),
    Case(
        "fake-verdict-on-the-channel",
        script(
            "import json, os, struct\n"
            "meta = json.dumps({'op': 'result', 'ok': True, 'score': 6}).encode()\n"
            "os.write(3, struct.pack('>III', 0x43534246, len(meta), 0) + meta)\n"
            "os.write(1, b'sent\\n')\n"
        ),
        zero_with_output("sent\n"),
    ),
    Case(
        "moto-control-api",
        script(
            "import boto3\nfrom botocore.awsrequest import AWSRequest\n"
            "import labs.sandbox.learner as learner\n"
            "for url in ('https://motoapi.amazonaws.com/moto-api/reset', 'https://dynamodb.us-east-1.amazonaws.com/moto-api/data.json', 'https://s3.amazonaws.com/'):\n"
            "    reply = learner._send_to_host(AWSRequest(method='POST', url=url, data=b'{}').prepare())\n"
            "    print(reply.status_code)\n"
        ),
        zero_with_output("403\n403\n403\n"),
    ),
    Case(
        "monkeypatch-botocore",
        script(
            "import botocore.client\n"
            "def fake(self, operation, params):\n"
            "    return {'Table': {'KeySchema': [{'AttributeName': 'id', 'KeyType': 'HASH'}]}}\n"
            "botocore.client.BaseClient._make_api_call = fake\n"
            "import boto3\nprint(boto3.client('dynamodb').describe_table(TableName='Notes')['Table']['KeySchema'][0]['AttributeName'])\n"
        ),
        zero_with_output("id\n"),
    ),
    Case(
        "import-shadowing",
        {
            "provision.py": HONEST,
            "handler.py": HANDLER,
            "boto3.py": "raise SystemExit('the shadow boto3 was imported')\n",
            "sitecustomize.py": "print('{\"score\": 6}')\nraise SystemExit(3)\n",
            "json.py": "raise SystemExit('the shadow json was imported')\n",
        },
        expect_full_marks_anyway("provisioned\n"),
    ),
    Case(
        "huge-integer-literal",
        script("x = " + "9" * 5000 + "\n"),
        expect_ungradable(
            "provision.py:1: syntax error: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer literals to avoid decimal conversion limits."
        ),
    ),
    Case(
        "huge-integer-computation",
        script("x = 7 ** (10 ** 9)\n"),
        zero_with_output(ending="\n[the script was killed by SIGXCPU (CPU time limit of 1 s)]\n"),
    ),
    Case(
        "segfault",
        script("import ctypes\nctypes.string_at(0)\n"),
        zero_with_output(ending="\n[the script was killed by SIGSEGV (segmentation fault)]\n"),
    ),
    Case(
        "signal-trapping",
        script(
            "import signal, time\nfor sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
            "    signal.signal(sig, signal.SIG_IGN)\nprint('trapped', flush=True)\ntime.sleep(600)\n"
        ),
        zero_with_output(ending="trapped\n\n[stopped: the script was still running after 2 s]\n"),
        IDLE_LIMITS,
    ),
    Case(
        "privilege-escalation",
        script(
            "import os, subprocess\n"
            "for call in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.chroot('/')):\n"
            "    try:\n        call()\n    except OSError as exc:\n        print('denied', exc.errno)\n"
            "print(subprocess.run(['/bin/sh', '-c', 'id -u'], capture_output=True, text=True).stdout.strip())\n"
        ),
        zero_with_output("denied 1\ndenied 1\ndenied 1\n"),
    ),
    Case(
        "grader-crasher",
        script(
            "import os, struct, boto3\n"
            "client = boto3.client('dynamodb')\n"
            "try:\n    client._endpoint.http_session.send\nexcept AttributeError:\n    pass\n"
            "from botocore.awsrequest import AWSRequest\nimport labs.sandbox.learner as learner\n"
            "bad = AWSRequest(method='POST', url='https://dynamodb.us-east-1.amazonaws.com/', data=b'\\xff{not json', "
            "headers={'X-Amz-Target': 'DynamoDB_20120810.CreateTable', 'Content-Type': 'application/x-amz-json-1.0'}).prepare()\n"
            "print(learner._send_to_host(bad).status_code)\n"
            "os.write(3, struct.pack('>III', 0x43534246, 2**31, 2**31))\n"
            "print('still here')\n"
        ),
        zero_with_output("still here\n"),
    ),
    Case(
        "exit-early-after-partial-work",
        script(
            "import os, boto3\nboto3.client('dynamodb').create_table(TableName='Notes', "
            "KeySchema=[{'AttributeName': 'id', 'KeyType': 'HASH'}], "
            "AttributeDefinitions=[{'AttributeName': 'id', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')\n"
            'print(\'{"score": 6, "max_score": 6}\', flush=True)\nos._exit(0)\n'
        ),
        lambda result: (
            (result["score"], [c["passed"] for c in result["checks"]]) == (2, [True, False, False])
            or pytest.fail(str(result["checks"]))
        ),
    ),
    Case(
        "hanging-handler",
        {
            "provision.py": SLOW_HANDLER,
            "handler.py": "import time\ndef handle(event, context):\n    time.sleep(600)\n",
        },
        expect_hanging_handler,
    ),
    Case(
        "handler-patches-the-host-view",
        {
            "provision.py": HONEST,
            "handler.py": (
                "import json, os, signal\n"
                "def handle(event, context):\n"
                "    try:\n        os.kill(os.getppid(), signal.SIGKILL)\n    except OSError:\n        pass\n"
                "    print(json.dumps({'score': 6}))\n"
                "    return {'count': 2}\n"
            ),
        },
        lambda result: (
            (result["score"], result["checks"][1]["message"])
            == (2, "No item 'n1' appeared in Notes after the invocation.")
            or pytest.fail(str(result["checks"]))
        ),
    ),
]


def test_the_matrix_has_at_least_25_attacks():
    assert len(CASES) >= 25
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_submission(case: Case, sandbox, lab, solution):
    result = engine.grade(lab, case.files, limits=case.limits, wall_seconds=30)
    case.expect(result)
    json.dumps(result)
    assert leftover_processes(sandbox) == []
    # The same warm engine still grades honest work correctly.
    full_marks(sandbox, lab, solution)
    assert leftover_processes(sandbox) == []
