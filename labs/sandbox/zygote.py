"""The runtime zygote and its per-run runners: the only processes that fork learner code.

The runtime zygote is forked by the server before moto is imported, so neither it nor any
learner process forked from it carries emulator state or checks. Per run it forks a
*runner* that is the parent (and child subreaper) of every learner process of that run: it
spawns them on the trusted host's request, and when the host hangs up it kills everything
running under the run's uid, reaps, deletes the scratch directories and exits.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import shutil
import signal
import socket
import tempfile
import traceback
from typing import Any

from labs.sandbox import frames, isolation, learner

# Standard-library modules learner code commonly imports. After the drop to the sandbox
# uid the interpreter's own directory may be unreadable (pyenv under a 0700 /root), and
# the runtime zygote hides the project, so these must already be in memory.
PRELOAD = [
    "abc",
    "argparse",
    "array",
    "ast",
    "asyncio",
    "cProfile",
    "pstats",
    "base64",
    "binascii",
    "bisect",
    "calendar",
    "codecs",
    "collections",
    "collections.abc",
    "concurrent.futures",
    "contextlib",
    "copy",
    "csv",
    "ctypes",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "email",
    "email.utils",
    "encodings.idna",
    "encodings.latin_1",
    "encodings.utf_16",
    "encodings.ascii",
    "encodings.cp437",
    "encodings.utf_8_sig",
    "encodings.unicode_escape",
    "encodings.raw_unicode_escape",
    "encodings.base64_codec",
    "encodings.hex_codec",
    "enum",
    "errno",
    "fnmatch",
    "fractions",
    "functools",
    "gc",
    "getpass",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "html.parser",
    "http",
    "http.client",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "json.decoder",
    "keyword",
    "locale",
    "logging",
    "logging.handlers",
    "math",
    "mimetypes",
    "numbers",
    "operator",
    "os",
    "pathlib",
    "pickle",
    "platform",
    "pprint",
    "queue",
    "random",
    "re",
    "resource",
    "secrets",
    "select",
    "shlex",
    "shutil",
    "signal",
    "socket",
    "sqlite3",
    "stat",
    "statistics",
    "string",
    "struct",
    "subprocess",
    "sys",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "timeit",
    "traceback",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "unittest.mock",
    "urllib",
    "urllib.error",
    "urllib.parse",
    "urllib.request",
    "uuid",
    "warnings",
    "weakref",
    "xml.etree.ElementTree",
    "zipfile",
    "zlib",
    "zoneinfo",
    "boto3",
    "boto3.dynamodb.conditions",
    "boto3.dynamodb.types",
    "boto3.session",
    "botocore.exceptions",
    "botocore.config",
]

MEMORY_POLL_SECONDS = 0.05

WARM_SERVICES = (
    "dynamodb",
    "lambda",
    "iam",
    "sqs",
    "apigateway",
    "apigatewayv2",
    "cognito-idp",
    "logs",
    "sts",
    "dynamodbstreams",
)


def preload() -> None:
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    import boto3
    import botocore.loaders

    # Load every service model once, then let each Loader a learner creates share the
    # cache, so `boto3.client(...)` in learner code costs milliseconds, not a JSON parse.
    # The default session learner code gets from boto3.client()/resource() is created here,
    # warm; it must come after learner.install_transport() so it carries our before-send.
    boto3.setup_default_session(
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the emulator's fake credentials
        aws_session_token="testing",  # noqa: S106
    )
    session = boto3.DEFAULT_SESSION
    assert session is not None
    for service in WARM_SERVICES:
        session.client(service, region_name="us-east-1")
    session.resource("dynamodb", region_name="us-east-1")
    loader = session._session.get_component("data_loader")
    shared_cache = loader._cache
    original_init = botocore.loaders.Loader.__init__

    def shared_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._cache = shared_cache

    botocore.loaders.Loader.__init__ = shared_init
    # Learner processes have no network: every request goes to the host as a frame. Each
    # client would still build an SSL context (loading the CA bundle, ~15 ms); share one.
    import botocore.httpsession

    shared_context = botocore.httpsession.create_urllib3_context()
    botocore.httpsession.URLLib3Session._get_ssl_context = lambda self: shared_context
    # Everything so far lives as long as the zygote: keep the collector off those pages so
    # forked children do not copy them on the first collection.
    gc.collect()
    gc.freeze()


def serve_runtime(ctl: socket.socket, uid: int | None, hide: list[str], keep: list[str]) -> None:
    """Main loop of the runtime zygote: one runner per run, strictly one after another."""
    with contextlib.suppress(OSError):
        isolation.prctl(isolation.PR_SET_PDEATHSIG, signal.SIGKILL)
    missing = (
        isolation.private_filesystem(hide, keep) if isolation.is_root() else ["mount namespace"]
    )
    frames.send(ctl.fileno(), {"op": "ready", "missing": missing})
    runner_pid: int | None = None
    while True:
        try:
            meta, _body, fds = frames.recv_fds(ctl, max_fds=2)
        except (frames.FrameError, OSError):
            os._exit(0)
        if runner_pid is not None:
            _wait(runner_pid)
            runner_pid = None
        if meta.get("op") == "sync":
            frames.send(ctl.fileno(), {"op": "synced"})
            continue
        if meta.get("op") != "run" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            continue
        limits = isolation.Limits(**meta.get("limits", {}))
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ctl.close()
                _Runner(socket.socket(fileno=fds[0]), uid, limits).serve()
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        runner_pid = pid


def _wait(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class _Runner:
    def __init__(self, sock: socket.socket, uid: int | None, limits: isolation.Limits) -> None:
        self.sock = sock
        self.uid = uid
        self.limits = limits
        self.children: set[int] = set()
        self.exits: dict[int, int] = {}
        self.network_isolated = False
        self.memory_exceeded = False
        self.root = tempfile.mkdtemp(prefix="run-")
        # Traversable by the sandbox uid (to reach its own 0700 scratch), never listable.
        os.chmod(self.root, 0o711)  # noqa: S103

    def serve(self) -> None:
        isolation.prctl(isolation.PR_SET_CHILD_SUBREAPER, 1)
        # One empty network namespace per run (not per learner process): creating and
        # tearing down a namespace costs milliseconds each, and the runner needs no network.
        try:
            isolation.unshare(isolation.CLONE_NEWNET)
            self.network_isolated = True
        except OSError:
            self.network_isolated = False
        # If the server dies, the runtime zygote dies with it and we still clean up.
        signal.signal(signal.SIGTERM, lambda *_: self._finish())
        with contextlib.suppress(OSError):
            isolation.prctl(isolation.PR_SET_PDEATHSIG, signal.SIGTERM)
        while True:
            # Between requests, watch the run's memory: RLIMIT_AS bounds one process, but a
            # run may fork up to RLIMIT_NPROC of them.
            ready, _, _ = select.select([self.sock], [], [], MEMORY_POLL_SECONDS)
            if not ready:
                self._collect(isolation.reap_children())
                self._watch_memory()
                continue
            try:
                meta, body, fds = frames.recv_fds(self.sock, max_fds=2)
            except (frames.FrameError, OSError):
                break
            self._collect(isolation.reap_children())
            op = meta.get("op")
            if op == "spawn" and len(fds) == 2:
                pid = self._spawn(meta, body, ipc_fd=fds[0], out_fd=fds[1])
                frames.send(self.sock.fileno(), {"op": "spawned", "pid": pid})
            elif op == "kill":
                self._kill_one(int(meta.get("pid", 0)))
                frames.send(self.sock.fileno(), {"op": "killed"})
            elif op == "kill_all":
                self._kill_all()
                exits = {str(pid): status for pid, status in self.exits.items()}
                frames.send(
                    self.sock.fileno(),
                    {"op": "killed", "exits": exits, "memory_exceeded": self.memory_exceeded},
                )
            else:
                for fd in fds:
                    os.close(fd)
                break
        self._finish()

    def _watch_memory(self) -> None:
        if self.uid is None or not self.children or self.memory_exceeded:
            return
        if isolation.uid_resident_mb(self.uid) > self.limits.run_memory_mb:
            self.memory_exceeded = True
            self._kill_all()

    def _finish(self) -> None:
        self._kill_all()
        shutil.rmtree(self.root, ignore_errors=True)
        os._exit(0)

    def _kill_one(self, pid: int) -> None:
        # Only our own unreaped children: their pids cannot have been reused.
        if pid in self.children:
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(OSError):
                    kill(pid, signal.SIGKILL)
            self._collect(isolation.reap_children())

    def _collect(self, reaped: list[tuple[int, int]]) -> None:
        for pid, status in reaped:
            if pid in self.children:
                self.children.discard(pid)
                self.exits[pid] = status

    def _kill_all(self) -> None:
        if self.uid is not None:
            _finished, reaped = isolation.sweep_uid(self.uid)
            self._collect(reaped)
        else:
            # Without root we cannot sweep by uid: kill each process group we started and
            # everything orphaned to us (we are the subreaper), until nothing is left.
            for _ in range(50):
                victims = self.children | set(_adopted_children())
                if not victims:
                    break
                for pid in victims:
                    for kill in (os.killpg, os.kill):
                        with contextlib.suppress(OSError):
                            kill(pid, signal.SIGKILL)
                self._collect(isolation.reap_children())
                self.children = {pid for pid in self.children if _alive(pid)}
        self._collect(isolation.reap_children())
        self.children.clear()
        for name in os.listdir(self.root):
            shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)

    def _spawn(self, meta: dict[str, Any], body: bytes, *, ipc_fd: int, out_fd: int) -> int:
        scratch = tempfile.mkdtemp(dir=self.root)
        if self.uid is not None:
            os.chown(scratch, self.uid, self.uid)
        os.chmod(scratch, 0o700)
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                isolation.prctl(isolation.PR_SET_PDEATHSIG, signal.SIGKILL)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(out_fd, 1)
                os.dup2(out_fd, 2)
                os.dup2(ipc_fd, learner.IPC_FD)
                isolation.confine(
                    uid=self.uid,
                    scratch=scratch,
                    env=_learner_env(scratch, meta.get("env", {})),
                    limits=self.limits,
                    keep_fds=[learner.IPC_FD],
                    network_isolated=self.network_isolated,
                )
                if meta.get("kind") == "script":
                    code = learner.run_script(json.loads(body), meta["entry"])
                else:
                    code = learner.run_lambda(meta["config"], body)
            except BaseException:
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            finally:
                os._exit(code)
        os.close(ipc_fd)
        os.close(out_fd)
        self.children.add(pid)
        return pid


def _learner_env(scratch: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # botocore 1.44 sends calls naming an ARN with an account (DynamoDB Streams'
        # StreamArn, DynamoDB's ResourceArn) to {account}.ddb.{region}.amazonaws.com, a host
        # moto 5.2.5 does not serve; the regional endpoint is the one it answers.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    env.update({str(k): str(v) for k, v in extra.items()})
    return env


def _adopted_children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
