"""A production-shaped Coldstart stack on one machine, for fault tests and load benchmarks.

The pieces share only PostgreSQL and Redis, as separate machines would: every web server,
worker and beat is its own process tree (own process group, own log file) started from the
project's virtualenv with the environment variables production sets. Nothing here imports
Django: the stack drives the project through its commands and HTTP, like an operator.

API (stable: tests/production and benchmarks/load_bench.py use it)

    Stack(purpose="bench", *, postgres="system", redis="private", cache="database",
          content=True, labs=(), env=None, keep=False)
        A context manager. On enter: a temp dir; Redis; a fresh database `cs_<purpose>_<hex>`;
        `manage.py migrate` and `createcachetable`; with content=True `import_content` of the
        real notes and quizzes (no labs); then `labs` (lab folder paths) installed with
        install_labs. On exit, also
        after a failed test: every process killed, the database dropped, a private Redis or
        PostgreSQL stopped, the temp dir removed (kept with keep=True or COLDSTART_STACK_KEEP=1).
        postgres: "system" (a new database on SYSTEM_POSTGRES: COLDSTART_STACK_POSTGRES, else
            the server of a postgres:// DATABASE_URL, else postgres://postgres@127.0.0.1:5432)
            or "private" (an own cluster: PostgresCluster).
        redis: "private" (an own redis-server on a free port, nothing kept on disk) or a
            redis:// URL used as it is (no stop/start then).
        cache: "database" (CACHE_URL unset: the cache table) or "redis" (CACHE_URL on the
            stack's Redis, database 1, as production sets it).
        env: extra variables for every process, e.g. GRADING_KNOBS.
    GRADING_KNOBS: short lease, resend and sweep periods for fault tests.

    stack.database_url, stack.dbname, stack.broker_url, stack.env (dict), stack.tmp
    (logs in tmp/logs), stack.var_dir (COLDSTART_VAR_DIR), stack.content_dir,
    stack.base_url (the first start_web's),
    stack.redis -> RedisServer | None, stack.postgres -> PostgresCluster | None,
    stack.workers -> {name: Worker}, stack.services -> [Service] (all started; a caller may
    append its own Service to have the stack stop it)
    stack.sql(query, *params) -> list[tuple]    psycopg, autocommit, %s placeholders
    stack.manage(*args, timeout=180) -> str     `manage.py ARGS` in a subprocess; its stdout
    stack.django(code, *args, timeout=120) -> str   `python -c` after django.setup(); its
                                                stdout (args are its sys.argv[1:])
    stack.install_labs(*folders)                copy into content/labs and sync Lab rows
                                                (the solution is not graded: test labs may
                                                be broken on purpose)
    stack.create_users(usernames, password, role="learner")
    stack.learner(username, password) -> Learner    logged in through /accounts/login/
    stack.start_worker(name, concurrency=1, queues="grading,maintenance", env=None,
                       beat=False, ready_timeout=90) -> Worker   (ready when it returns)
    stack.start_beat(env=None) -> Service
    stack.start_web(workers=2, threads=4, env=None) -> base URL (answers when it returns)
    stack.stop_workers()
    stack.wait_for(predicate, timeout, what) -> the first truthy value of predicate();
        raises StackTimeout whose message ends with stack.diagnostics()
    stack.diagnostics(lines=30) -> str          the tail of every log

    Service(name, argv, env, log_path): started at once from the project root in its own
        process group; name, pid, process (Popen), log_path, alive(), tree_pids(),
        kill(sig=SIGKILL) (the process and every descendant at once), stop(timeout=10)
        (SIGTERM, then kill), log_tail(lines), wait_for_log(regex, timeout)
    Worker(Service): hostname ("NAME@host", what Submission.worker stores),
        pool_child_pids(), kill_child(sig=SIGKILL) -> pid of the killed pool process
    RedisServer: port, url(db=0), ping(), start(), stop(kill=True), restart(kill=True)
    PostgresCluster: port, url(dbname), start(), stop(mode="fast"), restart(mode="fast")
    Learner(base_url, username, password, timeout=30): username, base_url, login(),
        get(path), post_form(path, data), post_json(path, payload),
        submit_lab(slug, files, kind="submit") (the JSON API that
        static/js/labs.js posts to: 202 with {"id", "status", ...}), submit_lab_form(...)
        (the no-JavaScript form: 302 to the submission page), submission_status(pk) -> dict,
        start_exam(slug) -> attempt pk, exam_question(attempt, position) -> ExamQuestion,
        autosave(attempt, position, answer, version, token="") -> Response (static/js/exam.js's
        JSON; token: ExamQuestion.save_token, sent as X-Autosave-Token)
    Response: status, url, headers, body, text, location, json()
    Also: BIN (the virtualenv's bin), web_command(port, workers, threads) (production's
    gunicorn command line, as start_web runs it), free_port(), process_tree(pid),
    stop_all(services, timeout), StackError, StackTimeout.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql as pgsql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("COLDSTART_STACK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _system_postgres() -> str:
    """The server stacks create their databases on: COLDSTART_STACK_POSTGRES, else the
    server of a PostgreSQL DATABASE_URL (the test run's own), else the local default."""
    explicit = os.environ.get("COLDSTART_STACK_POSTGRES", "")
    if explicit:
        return explicit.rstrip("/")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return "postgres://postgres@127.0.0.1:5432"


SYSTEM_POSTGRES = _system_postgres()
# Short periods so a lost lease or message is repaired in seconds, not minutes. The time
# limit must stay below the lease (config/settings.py refuses otherwise) and above the
# slowest test lab's grading.
GRADING_KNOBS = {
    "COLDSTART_GRADING_TIME_LIMIT": "6",
    "COLDSTART_GRADING_LEASE_SECONDS": "8",
    "COLDSTART_GRADING_RESEND_SECONDS": "3",
    "COLDSTART_SWEEP_SECONDS": "1",
}
# Variables of the calling environment that would point a child at the wrong database,
# broker or settings (the test run's own DATABASE_URL, say); the stack sets its own.
_OWN_PREFIXES = ("DJANGO_", "COLDSTART_", "CELERY_", "DATABASE_", "CACHE_")
T = TypeVar("T")


class StackError(RuntimeError):
    """A part of the stack did not start or a command failed; the message has its log."""


class StackTimeout(StackError):
    """A bounded wait ran out; the message ends with the stack's diagnostics."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# --- process trees -------------------------------------------------------------------------
# This kernel has no /proc/PID/task/TID/children, so trees come from every process's ppid.


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, start time in clock ticks) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None  # a zombie is already dead; only its parent's wait is missing
    return int(fields[1]), int(fields[19])


def process_tree(root: int) -> list[tuple[int, int]]:
    """`root` and its descendants as (pid, start time), parents first."""
    parents: dict[int, list[tuple[int, int]]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (info := _stat(int(name))):
            parents.setdefault(info[0], []).append((int(name), info[1]))
    me = _stat(root)
    if me is None:
        return []
    found, todo = [], [(root, me[1])]
    while todo:
        entry = todo.pop(0)
        found.append(entry)
        todo.extend(parents.get(entry[0], []))
    return found


def _kill_listed(pids: Iterable[tuple[int, int]], sig: int) -> None:
    """Signal each process still alive with the same start time: a pid the kernel handed to
    someone else's process since the list was taken is left alone."""
    for pid, started in pids:
        info = _stat(pid)
        if info is not None and info[1] == started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


class Service:
    """One process of the stack in its own process group, output to its own log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._seen: set[tuple[int, int]] = set()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tree_pids(self) -> list[int]:
        tree = process_tree(self.pid) if self.alive() else []
        self._seen.update(tree)
        return [pid for pid, _ in tree]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and every descendant at once (a machine losing power)."""
        tree = process_tree(self.pid) if self.alive() else []
        self._seen.update(tree)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)
        _kill_listed(tree, sig)
        if sig == signal.SIGKILL:
            self.process.wait(timeout=10)
            # Grandchildren that escaped the group and the tree read above (a sandbox
            # learner process in its own session) die with their parents by PDEATHSIG.

    def stop(self, timeout: float = 10) -> None:
        """Ask it to shut down (SIGTERM), then kill what is left of the tree."""
        stop_all([self], timeout)

    def _terminate(self) -> None:
        if self.alive():
            self.tree_pids()
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()

    def _finish(self, deadline: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        _kill_listed(self._seen, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        return _tail(self.log_path, lines)

    def wait_for_log(self, pattern: str, timeout: float) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                if match := regex.search(self.log_path.read_text(errors="replace")):
                    return match
            if not self.alive():
                raise StackError(
                    f"{self.name} exited with {self.process.returncode} before logging "
                    f"{pattern!r}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise StackTimeout(
                    f"{self.name} did not log {pattern!r} within {timeout:g} s:\n{self.log_tail()}"
                )
            time.sleep(0.1)


def stop_all(services: Iterable[Service], timeout: float = 10) -> None:
    """Stop several services side by side: SIGTERM to each, one shared deadline, then kill
    whatever is left of each tree."""
    services = list(services)
    for service in services:
        service._terminate()
    deadline = time.monotonic() + timeout
    for service in services:
        service._finish(deadline)


class Worker(Service):
    """A Celery worker (`celery -A config worker -n NAME@%h`), like one grading machine."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        super().__init__(name, argv, env, log_path)
        self.hostname = f"{name}@{socket.gethostname()}"

    def pool_child_pids(self) -> list[int]:
        """The prefork pool's processes (children of the main process) that run tasks."""
        tree = process_tree(self.pid) if self.alive() else []
        self._seen.update(tree)
        if not tree:
            return []
        ppids = {pid: _stat(pid) for pid, _ in tree}
        return [pid for pid, info in ppids.items() if info and info[0] == self.pid]

    def kill_child(self, sig: int = signal.SIGKILL) -> int:
        """Kill one pool process (the only one at concurrency 1); the main process lives
        on and forks a replacement. Returns the killed pid."""
        children = self.pool_child_pids()
        if not children:
            raise StackError(f"{self.name} has no pool process:\n{self.log_tail()}")
        os.kill(children[0], sig)
        return children[0]


# --- Redis and PostgreSQL ------------------------------------------------------------------


class RedisServer:
    """A private redis-server on a free port that keeps nothing on disk, so a restart loses
    every queued message, as a crashed broker without persistence does."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / "redis.log"
        self.service: Service | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 10) -> None:
        if self.service is not None and self.service.alive():
            return
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.service = Service("redis", argv, dict(os.environ), self.log_path)
        deadline = time.monotonic() + timeout
        while not self.ping():
            if not self.service.alive() or time.monotonic() > deadline:
                raise StackError(f"redis-server did not start:\n{_tail(self.log_path, 20)}")
            time.sleep(0.05)

    def stop(self, kill: bool = True) -> None:
        if self.service is None:
            return
        if kill:
            self.service.kill()
        else:
            self.service.stop()
        self.service = None

    def restart(self, kill: bool = True) -> None:
        self.stop(kill=kill)
        self.start()


class PostgresCluster:
    """A private PostgreSQL cluster (initdb in a temp dir, trust auth, a free port), so a
    test can restart PostgreSQL without touching the server the test run itself uses."""

    def __init__(self) -> None:
        # Its own directory, owned by postgres: the server refuses to run as root.
        self.directory = Path(tempfile.mkdtemp(prefix="cs-pg-"))
        shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.port = free_port()
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _as_postgres(self, *argv: str, timeout: float = 60) -> None:
        # Output to a file, not a pipe: a postmaster that pg_ctl starts inherits it, and a
        # pipe would stay open (and our read blocked) for the server's whole life.
        with open(self.directory / "pg_ctl.log", "ab") as out:
            done = subprocess.run(
                ["runuser", "-u", "postgres", "--", *argv],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        if done.returncode != 0:
            raise StackError(
                f"{' '.join(argv[:2])} failed ({done.returncode}):\n"
                f"{_tail(self.directory / 'pg_ctl.log', 20)}\n{_tail(self.log_path, 20)}"
            )

    def _pg_ctl(self, *args: str) -> None:
        # -l on every start: a restart without it would send the server's log to our output.
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-w", *args
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart -m fast`: open connections are cut, committed data stays."""
        self._pg_ctl("-m", mode, "restart")

    def destroy(self) -> None:
        with contextlib.suppress(StackError, subprocess.TimeoutExpired):
            self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# --- the HTTP learner ----------------------------------------------------------------------


@dataclass
class Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ExamQuestion:
    attempt: int
    position: int
    type: str  # single | multiple | numeric | matching | ordering ("" when unbuilt)
    choices: list[str]  # the answer keys of single/multiple questions
    version: int
    save_url: str
    save_token: str  # the page's autosave token (exam.js sends it as X-Autosave-Token)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the Learner follows redirects itself, so it sees every 3xx


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Learner:
    """A person with a browser, minus the browser: a cookie jar, the CSRF token from the
    page's form, and the same requests static/js/labs.js and exam.js send."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def _request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        url = path if path.startswith("http://") else self.base_url + path
        # Only http:// URLs of this stack's servers get here (the check above and base_url).
        request = urllib.request.Request(  # noqa: S310
            url, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as reply:
                return Response(reply.status, url, _lower(reply.headers), reply.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, url, _lower(exc.headers), exc.read())

    def get(self, path: str, follow: bool = True) -> Response:
        response = self._request("GET", path, headers={"Accept": "text/html,application/json"})
        for _ in range(10):
            if not (follow and 300 <= response.status < 400 and response.location):
                break
            target = urllib.parse.urljoin(response.url, response.location)
            response = self._request("GET", target)
        return response

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return cookie.value
        page = self.get("/accounts/login/")
        match = _CSRF_INPUT.search(page.text)
        if not match:
            raise StackError(f"no CSRF token on {page.url} ({page.status})")
        return match.group(1)

    def post_form(self, path: str, data: dict | list[tuple[str, str]], follow: bool = False):
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        fields.append(("csrfmiddlewaretoken", self.csrf_token()))
        response = self._request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if follow and 300 <= response.status < 400 and response.location:
            return self.get(urllib.parse.urljoin(response.url, response.location))
        return response

    def post_json(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Response:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": self.csrf_token(),
            **(headers or {}),
        }
        return self._request("POST", path, json.dumps(payload).encode(), headers)

    def login(self) -> Learner:
        response = self.post_form(
            "/accounts/login/",
            {"username": self.username, "password": self.password, "next": ""},
        )
        if response.status != 302 or not any(c.name == "sessionid" for c in self.cookies):
            raise StackError(f"login of {self.username} failed: {response.status} {response.text}")
        return self

    # labs
    def submit_lab(self, slug: str, files: dict[str, str], kind: str = "submit") -> Response:
        return self.post_json(f"/labs/{slug}/api/submissions/", {"kind": kind, "files": files})

    def submit_lab_form(self, slug: str, files: dict[str, str], kind: str = "submit"):
        fields = [("kind", kind)]
        for name, text in files.items():
            fields += [("filename", name), ("content", text)]
        return self.post_form(f"/labs/{slug}/submit/", fields)

    def submission_status(self, pk: int) -> dict:
        response = self.get(f"/labs/submissions/{pk}/status/")
        if response.status != 200:
            raise StackError(f"status of submission {pk}: {response.status} {response.text}")
        return response.json()

    # exams
    def start_exam(self, slug: str) -> int:
        response = self.post_form(f"/quizzes/exams/{slug}/start/", {}, follow=True)
        match = re.search(r"/quizzes/attempts/(\d+)/q/\d+/", response.url)
        if response.status != 200 or not match:
            raise StackError(f"exam {slug} did not start: {response.status} at {response.url}")
        return int(match.group(1))

    def exam_question(self, attempt: int, position: int) -> ExamQuestion:
        page = self.get(f"/quizzes/attempts/{attempt}/q/{position}/")
        if page.status != 200:
            raise StackError(f"question {position} of attempt {attempt}: {page.status}")
        kind = re.search(r'class="question" data-type="([^"]*)"', page.text)
        version = re.search(r'name="version" value="(\d+)"', page.text)
        save_url = re.search(r'data-save-url="([^"]+)"', page.text)
        token = re.search(r'data-save-token="([^"]*)"', page.text)
        if not (version and save_url):
            raise StackError(f"question {position} of attempt {attempt} has no autosave form")
        return ExamQuestion(
            attempt=attempt,
            position=position,
            type=kind.group(1) if kind else "",
            choices=re.findall(r'name="answer" value="([^"]+)"', page.text) if kind else [],
            version=int(version.group(1)),
            save_url=save_url.group(1),
            save_token=token.group(1) if token else "",
        )

    def autosave(
        self, attempt: int, position: int, answer: Any, version: int, token: str = ""
    ) -> Response:
        """One exam.js autosave: 200 {"version", "answer", ...}, 409 with the stored answer
        when `version` is stale, 403 once the exam is closed. `token`: the question page's
        autosave token (ExamQuestion.save_token), as exam.js sends it."""
        return self.post_json(
            f"/quizzes/attempts/{attempt}/q/{position}/save/",
            {"answer": answer, "version": version},
            headers={"X-Autosave-Token": token} if token else None,
        )


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


# --- the stack -----------------------------------------------------------------------------


def web_command(port: int, workers: int, threads: int) -> list[str]:
    """Production's gunicorn command line (config.launch), on loopback, stopping quickly
    and logging errors to the service's log."""
    from config.launch import gunicorn_command

    argv = gunicorn_command(host="127.0.0.1", port=port, workers=workers, threads=threads)
    return [*argv, "--graceful-timeout", "3", "--error-logfile", "-"]


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@dataclass
class _Cleanup:
    actions: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    def add(self, what: str, action: Callable[[], None]) -> None:
        self.actions.append((what, action))

    def run(self) -> list[str]:
        problems = []
        for what, action in reversed(self.actions):
            try:
                action()
            except Exception as exc:  # clean up everything else even when one step fails
                problems.append(f"{what}: {type(exc).__name__}: {exc}")
        self.actions.clear()
        return problems


class Stack:
    """See the module docstring for the API."""

    def __init__(
        self,
        purpose: str = "bench",
        *,
        postgres: str = "system",
        redis: str = "private",
        cache: str = "database",
        content: bool = True,
        labs: Iterable[Path] = (),
        env: dict[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        if not re.fullmatch(r"[a-z0-9_]{1,30}", purpose):
            raise ValueError("purpose: lowercase letters, digits and _ (it names the database)")
        if postgres not in ("system", "private"):
            raise ValueError("postgres must be 'system' or 'private'")
        if cache not in ("database", "redis"):
            raise ValueError("cache must be 'database' or 'redis'")
        self.cache = cache
        self.purpose = purpose
        self.postgres_mode = postgres
        self.redis_mode = redis
        self.content = content
        self.initial_labs = [Path(p) for p in labs]
        self.extra_env = dict(env or {})
        self.keep = keep or os.environ.get("COLDSTART_STACK_KEEP") == "1"
        self.dbname = f"cs_{purpose}_{secrets.token_hex(4)}"
        self.redis: RedisServer | None = None
        self.postgres: PostgresCluster | None = None
        self.services: list[Service] = []
        self.workers: dict[str, Worker] = {}
        self.base_url = ""
        self._cleanup = _Cleanup()

    # lifecycle
    def __enter__(self) -> Stack:
        # A SIGTERM (timeout, kill, CI cancelling) would end Python without running any
        # `finally`, leaving servers, workers and the database behind; as SystemExit it
        # unwinds through close() like any other exit. Only the main thread may set it.
        self._previous_sigterm = None
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.close()
        finally:
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)

    def _start(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix=f"cs-stack-{self.purpose}-"))
        self._cleanup.add("temp dir", self._remove_tmp)
        (self.tmp / "logs").mkdir()
        self.var_dir = self.tmp / "var"
        self.var_dir.mkdir()
        self.content_dir = self._make_content_dir()
        if self.redis_mode == "private":
            self.redis = RedisServer(self.tmp)
            self._cleanup.add("redis", lambda: self.redis.stop(kill=True))
            self.redis.start()
            self.broker_url = self.redis.url(0)
        else:
            self.broker_url = self.redis_mode
        if self.postgres_mode == "private":
            self.postgres = PostgresCluster()
            self._cleanup.add("private postgres", self.postgres.destroy)
            self.postgres.start()
            server_url = self.postgres.url()
        else:
            server_url = SYSTEM_POSTGRES.rstrip("/") + "/postgres"
        self._admin_url = server_url
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(self.dbname)))
        self._cleanup.add("database", self._drop_database)
        self.database_url = server_url.rsplit("/", 1)[0] + "/" + self.dbname
        self.env = self._environment()
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("createcachetable")
        if self.content:
            self.manage("import_content")
        if self.initial_labs:
            self.install_labs(*self.initial_labs)

    def close(self) -> None:
        problems = []
        try:
            stop_all(reversed(self.services), timeout=5)
        except Exception as exc:  # still drop the database and stop Redis below
            problems.append(f"stopping services: {type(exc).__name__}: {exc}")
        problems += self._cleanup.run()
        if problems:
            raise StackError("stack cleanup: " + "; ".join(problems))

    def _remove_tmp(self) -> None:
        if self.keep:
            print(f"stack kept at {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _drop_database(self) -> None:
        with psycopg.connect(self._admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pgsql.Identifier(self.dbname)
                )
            )

    def _make_content_dir(self) -> Path:
        """The real notes, outline, facts and quizzes, and a labs/ of our own choosing."""
        source = PROJECT_ROOT / "content"
        content = self.tmp / "content"
        content.mkdir()
        for name in ("course.yaml", "facts.yaml"):
            shutil.copy(source / name, content / name)
        for name in ("notes", "quizzes"):
            if (source / name).exists():
                (content / name).symlink_to(source / name)
        (content / "labs").mkdir()
        return content

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_SECRET_KEY="stack-" + secrets.token_urlsafe(40),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            COLDSTART_VAR_DIR=str(self.var_dir),
            COLDSTART_CONTENT_DIR=str(self.content_dir),
            PYTHONUNBUFFERED="1",
        )
        if self.cache == "redis":
            env["CACHE_URL"] = self.broker_url.rsplit("/", 1)[0] + "/1"
        env.update(self.extra_env)
        return env

    # commands and data
    def _run(self, argv: list[str], timeout: float, env: dict | None = None) -> str:
        done = subprocess.run(
            argv,
            cwd=PROJECT_ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise StackError(
                f"{' '.join(argv[1:4])} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                f"{done.stderr[-5000:]}"
            )
        return done.stdout

    def manage(self, *args: str, timeout: float = 180) -> str:
        return self._run([sys.executable, "manage.py", *args], timeout)

    def django(self, code: str, *args: str, timeout: float = 120, env: dict | None = None) -> str:
        """Run `code` in a fresh Python after django.setup(); `args` are its sys.argv[1:]."""
        prelude = "import django\ndjango.setup()\n"
        return self._run([sys.executable, "-c", prelude + code, *args], timeout, env)

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []

    def install_labs(self, *folders: Path) -> None:
        for folder in folders:
            target = self.content_dir / "labs" / Path(folder).name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)
        # The import's own loader and sync (labs.content), minus the solution grading that
        # import_content adds: a poison lab's solution cannot pass, on purpose.
        self.django(
            "from pathlib import Path\n"
            "from django.conf import settings\n"
            "from django.db import transaction\n"
            "from courses.importer import ImportResult\n"
            "from courses.models import Lesson\n"
            "from labs.content import LabContent, load_lab\n"
            "slugs = set(Lesson.objects.values_list('slug', flat=True))\n"
            "root = Path(settings.CONTENT_DIR) / 'labs'\n"
            "specs = [load_lab(p, slugs) for p in sorted(root.iterdir()) if p.is_dir()]\n"
            "with transaction.atomic():\n"
            "    LabContent().apply(specs, ImportResult(plan=None))\n"
        )

    def create_users(self, usernames: Iterable[str], password: str, role: str = "learner"):
        self.django(
            "import json, sys\n"
            "from accounts.services import create_user_with_role\n"
            "names, password, role = json.loads(sys.argv[1])\n"
            "for name in names:\n"
            "    create_user_with_role(username=name, password=password, role=role)\n",
            json.dumps([list(usernames), password, role]),
        )

    def learner(self, username: str, password: str) -> Learner:
        if not self.base_url:
            raise StackError("start_web() first")
        return Learner(self.base_url, username, password).login()

    # processes
    def _service(self, cls: type[Service], name: str, argv: list[str], env: dict | None):
        service = cls(name, argv, {**self.env, **(env or {})}, self.tmp / "logs" / f"{name}.log")
        self.services.append(service)
        return service

    def start_worker(
        self,
        name: str,
        concurrency: int = 1,
        queues: str = "grading,maintenance",
        env: dict[str, str] | None = None,
        beat: bool = False,
        ready_timeout: float = 90,
    ) -> Worker:
        if name in self.workers and self.workers[name].alive():
            raise StackError(f"worker {name} is already running")
        argv = [str(BIN / "celery"), "-A", "config", "worker", "-n", f"{name}@%h", "-Q", queues]
        argv += [f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
        argv += ["--loglevel=INFO"]
        if beat:
            argv += ["--beat", "-s", str(self.tmp / f"beat-{name}-schedule")]
        worker = self._service(Worker, name, argv, env)
        self.workers[name] = worker
        worker.wait_for_log(rf"{re.escape(worker.hostname)} ready\.", ready_timeout)
        return worker

    def stop_workers(self, timeout: float = 10) -> None:
        stop_all(self.workers.values(), timeout)
        self.workers.clear()

    def start_beat(self, env: dict[str, str] | None = None, ready_timeout: float = 60) -> Service:
        argv = [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO"]
        argv += ["-s", str(self.tmp / "beat-schedule")]
        beat = self._service(Service, "beat", argv, env)
        beat.wait_for_log(r"beat: Starting", ready_timeout)
        return beat

    def start_web(
        self,
        workers: int = 2,
        threads: int = 4,
        env: dict[str, str] | None = None,
        ready_timeout: float = 60,
    ) -> str:
        port = free_port()
        argv = web_command(port, workers, threads)
        web = self._service(Service, f"web-{port}", argv, env)
        base = f"http://127.0.0.1:{port}"
        probe = Learner(base, "", "", timeout=2)
        deadline = time.monotonic() + ready_timeout
        while True:
            with contextlib.suppress(OSError):
                if probe.get("/accounts/login/").status == 200:
                    break
            if not web.alive() or time.monotonic() > deadline:
                raise StackError(f"gunicorn did not answer on {base}:\n{web.log_tail()}")
            time.sleep(0.1)
        self.base_url = self.base_url or base
        return base

    # waiting and diagnosing
    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise StackTimeout(f"waited {timeout:g} s for {what}\n\n{self.diagnostics()}")
            time.sleep(0.1)

    def diagnostics(self, lines: int = 30) -> str:
        parts = []
        for service in self.services:
            state = "running" if service.alive() else f"exited {service.process.returncode}"
            parts.append(
                f"--- {service.name} ({state}), {service.log_path}:\n{service.log_tail(lines)}"
            )
        if self.postgres is not None:
            parts.append(f"--- private postgres:\n{_tail(self.postgres.log_path, lines)}")
        return "\n".join(parts)
