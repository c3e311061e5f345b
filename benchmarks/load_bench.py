"""Load on the production stack: gunicorn, PostgreSQL, Redis and Celery workers on this machine.

Run with `.venv/bin/python -m benchmarks.load_bench` (`make bench` runs it last). It builds
a fresh PostgreSQL database, a private Redis and the web server as production runs them
(DEBUG off, persistent connections, sessions in Redis written through to the database), then:

1. autosave: CLIENTS learners, each with its own open 65-question exam attempt, autosave
   answers as static/js/exam.js does (JSON, CSRF header, the version the last response
   returned; every request changes the answer, so every request writes);
2. ceiling: the same clients send the same requests to a bare Django
   (benchmarks/bare: no middleware) whose only view does the autosave's UPDATE; the two are
   measured in alternating windows of the same run, so background load hits both alike;
3. lessons: the same learners read lesson pages;
4. deadline burst: BURST learners submit a lab's reference solution at the same moment
   through the JSON API; we time each acceptance and how long the workers take to grade
   them all, first with one grading worker, then with two ("two machines", one process
   each), on freshly started workers.

Each client keeps one HTTP/1.1 keep-alive connection; all clients run on one asyncio loop
in a process of their own (no Django), which reports its own CPU time so the report can
show it is not the bottleneck. The numbers are reported against the issue's targets, never
asserted: the run always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import http.client
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 64
WARMUP_S = 2.0
WINDOW_S = 7.5  # autosave and ceiling alternate twice: 15 s of measurement each
WINDOWS = 2
BURST = 200
WEB_WORKERS = 2  # gunicorn processes: one per core
WEB_THREADS = 4  # gthread threads per process; see BENCHMARKS.md for the other shapes tried
RATIO_TARGET = 0.70
P99_TARGET_MS = 150.0
DRAIN_TIMEOUT_S = 240.0


# --- the load client (no Django in this process) ---------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.open = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.open = True
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            parsed = _parse_response(self.buffer)
            if parsed is not None:
                self.waiter.set_result(parsed)

    def connection_lost(self, exc) -> None:
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(str(exc or "closed by the server")))

    async def send(self, request: bytes) -> tuple[int, bytes, bool]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


def _parse_response(buffer: bytearray) -> tuple[int, bytes, bool] | None:
    """(status, body, keep_alive) once a whole response is buffered (and consumed), else None.
    Bodies come with Content-Length or chunked, which is all gunicorn sends."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    status = int(head[9:12])
    start = end + 4
    length = head.find(b"\ncontent-length:")
    if length >= 0:
        line_end = head.find(b"\r", length + 1)
        size = int(head[length + 16 : line_end if line_end >= 0 else None])
        if len(buffer) < start + size:
            return None
        body, stop = bytes(buffer[start : start + size]), start + size
    elif b"transfer-encoding: chunked" in head:
        chunks, at = [], start
        while True:
            line_end = buffer.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(buffer[at:line_end].split(b";")[0], 16)
            if len(buffer) < line_end + 2 + size + 2:
                return None
            chunks.append(bytes(buffer[line_end + 2 : line_end + 2 + size]))
            at = line_end + 2 + size + 2
            if size == 0:
                break
        body, stop = b"".join(chunks), at
    else:
        body, stop = b"", start
    del buffer[:stop]
    return status, body, b"connection: close" not in head


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Autosave:
    """One learner answering single-choice questions of their attempt: each request flips the
    answer of the next question between two of its options and carries that question's
    version from the last response (exam.js's protocol), so every request is a write."""

    def __init__(self, client: dict, ceiling: bool) -> None:
        self.items = client["items"]
        self.headers = {
            "Cookie": client["cookie"],
            "X-CSRFToken": client["csrf"],
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if client.get("token"):  # exam.js sends the question page's autosave token
            self.headers["X-Autosave-Token"] = client["token"]
        prefix = f"/bare/users/{client['user']}" if ceiling else "/quizzes"
        self.paths = [
            f"{prefix}/attempts/{client['attempt']}/q/{item['position']}/save/"
            for item in self.items
        ]
        self.turn = 0
        self.current = 0

    def next(self) -> bytes:
        self.current = self.turn % len(self.items)
        item = self.items[self.current]
        item["flip"] = 1 - item.get("flip", 1)
        body = json.dumps({"answer": item["keys"][item["flip"]], "version": item["version"]})
        self.turn += 1
        return _request("POST", self.paths[self.current], self.headers, body.encode())

    def done(self, status: int, body: bytes) -> None:
        if status in (200, 409) and body:
            self.items[self.current]["version"] = json.loads(body)["version"]


class _Lessons:
    def __init__(self, client: dict, slugs: list[str], offset: int) -> None:
        self.requests = [
            _request("GET", f"/lessons/{slug}/", {"Cookie": client["cookie"]}) for slug in slugs
        ]
        self.turn = offset

    def next(self) -> bytes:
        self.turn += 1
        return self.requests[self.turn % len(self.requests)]

    def done(self, status: int, body: bytes) -> None:
        pass


async def _connect(port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _transport, connection = await loop.create_connection(_Connection, "127.0.0.1", port)
    return connection


async def _load_steady(spec: dict) -> dict:
    """Every client sends a request, waits for its response, sends the next: a closed loop.
    Responses that complete inside [start, stop] (wall clock, set by the parent) count."""
    shift = time.perf_counter() - time.time()
    start, stop = spec["start"] + shift, spec["stop"] + shift
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    usage: dict[str, float] = {}

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime

    async def meter() -> None:
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        usage["start"] = cpu()
        await asyncio.sleep(max(0.0, stop - time.perf_counter()))
        usage["stop"] = cpu()

    if spec["action"] == "lessons":
        actions = [_Lessons(c, spec["slugs"], i) for i, c in enumerate(spec["clients"])]
    else:
        ceiling = spec["action"] == "ceiling"
        actions = [_Autosave(c, ceiling) for c in spec["clients"]]

    async def client(action: _Autosave | _Lessons) -> None:
        connection = None
        while time.perf_counter() < stop:
            request = action.next()
            began = time.perf_counter()
            try:
                if connection is None or not connection.open:
                    connection = await _connect(spec["port"])
                status, body, keep = await connection.send(request)
            except (OSError, ConnectionError) as exc:
                status, body, keep = 0, b"", False
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}")
            ended = time.perf_counter()
            if start <= ended <= stop:
                latencies.append((ended - began) * 1000)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status not in (200, 0) and len(errors) < 5:
                    errors.append(f"{status}: {body[:160].decode(errors='replace')}")
            action.done(status, body)
            if not keep and connection is not None:
                connection.transport.close()
                connection = None

    await asyncio.gather(meter(), *(client(action) for action in actions))
    return {
        # Where each question's version and answer ended, for the next window's clients.
        "items": [getattr(action, "items", None) for action in actions],
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors,
        "seconds": spec["stop"] - spec["start"],
        "cpu": usage["stop"] - usage["start"],
    }


async def _load_burst(spec: dict) -> dict:
    """Open every learner's connection first, then send all submissions at once."""
    connections = await asyncio.gather(*(_connect(spec["port"]) for _ in spec["clients"]))
    began = time.time()
    started = time.perf_counter()

    async def submit(connection: _Connection, data: dict) -> tuple[int, float, str]:
        headers = {
            "Cookie": data["cookie"],
            "X-CSRFToken": data["csrf"],
            "Content-Type": "application/json",
        }
        request = _request("POST", data["path"], headers, data["body"].encode())
        try:
            status, body, _keep = await asyncio.wait_for(connection.send(request), 120)
        except (OSError, ConnectionError, TimeoutError) as exc:
            status, body = 0, str(exc).encode()
        return status, (time.perf_counter() - started) * 1000, body[:160].decode(errors="replace")

    results = await asyncio.gather(
        *(submit(c, d) for c, d in zip(connections, spec["clients"], strict=True))
    )
    for connection in connections:
        connection.transport.close()
    return {"began": began, "results": results}


def client_main() -> int:
    """`--client`: run one phase described on stdin; print its results as JSON."""
    spec = json.load(sys.stdin)
    runner = _load_burst if spec["action"] == "burst" else _load_steady
    json.dump(asyncio.run(runner(spec)), sys.stdout)
    return 0


# --- fixtures (run inside the stack, with Django on its database) -----------------------


def prepare(learners: int, autosavers: int) -> None:
    """Print, as one JSON line, what the clients need: per learner a signed-in session and a
    CSRF token; for the first `autosavers` an open attempt at the longest active exam with
    four of its single-choice questions (position, two answer keys, version);
    the lesson slugs in course order; per active lab its reference solution.

    Sessions are made as django.contrib.auth.login makes them (same keys, same engine), not
    by posting the sign-in form: each sign-in costs a deliberately slow password hash, which
    is not what this benchmark measures. Users get unusable passwords for the same reason."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.utils.crypto import get_random_string

    from accounts.roles import LEARNER
    from courses.models import Lesson
    from labs.models import Lab
    from labs.submission_files import read_submission_dir
    from quizzes import exams
    from quizzes.models import Exam

    users = User.objects.bulk_create(
        User(username=f"load-{n:03d}", password=make_password(None)) for n in range(learners)
    )
    Group.objects.get(name=LEARNER).user_set.add(*users)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    exam = Exam.objects.filter(is_active=True).order_by("-question_count").first()
    clients = []
    for n, user in enumerate(users):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = get_random_string(32)  # a CSRF secret; exam.js sends the cookie's value back
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}"
        )
        client: dict = {"user": user.pk, "cookie": cookie, "csrf": csrf}
        if n < autosavers:
            attempt = exams.start_attempt(user=user, exam=exam)
            singles = attempt.items.filter(spec__type="single").order_by("position")[:4]
            client["attempt"] = attempt.pk
            client["items"] = [
                {
                    "position": item.position,
                    "keys": [c["key"] for c in item.variant().public()["choices"][:2]],
                    "version": item.version,
                }
                for item in singles
            ]
        clients.append(client)
    labs = {
        lab.slug: read_submission_dir(Path(settings.CONTENT_DIR) / "labs" / lab.slug / "solution")
        for lab in Lab.objects.filter(is_active=True).order_by("slug")
    }
    lessons = list(Lesson.objects.order_by("order").values_list("slug", flat=True))
    data = {"clients": clients, "lessons": lessons, "labs": labs, "exam": exam.slug}
    print("LOAD-BENCH-DATA " + json.dumps(data))


# --- CPU accounting ----------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds per live process, its reaped children included (a gunicorn or Celery
    worker's share of what it forked and collected)."""
    seconds = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        seconds[pid] = sum(int(v) for v in fields[11:15]) / _TICK  # utime stime cutime cstime
    return seconds


def _postgres_backends(dbname: str) -> list[int]:
    """PostgreSQL's server processes for our database (their title names it)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                title = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {dbname} ".encode() in title:
                found.append(int(name))
    return found


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICK  # minus idle and iowait


@dataclass
class _Meter:
    """CPU used by each part of the stack between two samples, in cores (seconds/second)."""

    parts: dict  # name -> callable returning the pids to count
    taken: list = field(default_factory=list)

    def sample(self) -> None:
        snapshot = {name: _cpu_of(pids()) for name, pids in self.parts.items()}
        snapshot["machine"] = {0: _machine_busy()}
        self.taken.append((time.monotonic(), snapshot))

    def cores(self) -> dict[str, float]:
        (t0, first), (t1, last) = self.taken[-2], self.taken[-1]
        return {
            name: sum(v - first[name].get(pid, 0.0) for pid, v in last[name].items()) / (t1 - t0)
            for name in last
        }


# --- running the phases ------------------------------------------------------------------


def _run_client(spec: dict, meter: _Meter | None = None) -> dict:
    """One phase in a client process of its own; the meter samples the stack's CPU at the
    window's edges (wall clock shared with the client)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.load_bench", "--client"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    child.stdin.write(json.dumps(spec))
    child.stdin.close()
    if meter is not None:
        for edge in (spec["start"], spec["stop"]):
            time.sleep(max(0.0, edge - time.time()))
            meter.sample()
    out = child.stdout.read()
    if child.wait() != 0:
        raise RuntimeError(f"the load client failed on {spec['action']} (exit {child.returncode})")
    return json.loads(out)


@dataclass
class _Phase:
    label: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cores: dict[str, list[float]] = field(default_factory=dict)

    def add(self, result: dict, cores: dict[str, float]) -> None:
        self.latencies += result["latencies"]
        self.seconds += result["seconds"]
        for status, count in result["statuses"].items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.errors += result["errors"]
        for name, value in {**cores, "client": result["cpu"] / result["seconds"]}.items():
            self.cores.setdefault(name, []).append(value)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def core(self, name: str) -> float:
        return statistics.mean(self.cores.get(name, [0.0]))


def _measure(action: str, port: int, clients: list[dict], slugs: list[str], seconds: float,
             meter: _Meter) -> dict:  # fmt: skip
    start = time.time() + 0.5 + WARMUP_S  # 0.5 s: the client process starting
    spec = {"action": action, "port": port, "clients": clients, "slugs": slugs}
    spec.update(start=start, stop=start + seconds)
    return _run_client(spec, meter)


def _autosave_tokens(web_url: str, clients: list[dict]) -> int:
    """Fetch each learner's first question page, as the browser does before exam.js runs, and
    keep the autosave token it carries (`data-save-token`), which exam.js sends with every
    save. Returns how many pages had one."""
    host, port = web_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    found = 0
    try:
        for client in clients:
            path = f"/quizzes/attempts/{client['attempt']}/q/{client['items'][0]['position']}/"
            connection.request("GET", path, headers={"Cookie": client["cookie"]})
            response = connection.getresponse()
            page = response.read().decode()
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
            match = re.search(r'data-save-token="([^"]*)"', page)
            client["token"] = html.unescape(match.group(1)) if match else ""
            found += bool(client["token"])
    finally:
        connection.close()
    return found


def _service_on(stack, base_url: str):
    return next(s for s in stack.services if s.name == f"web-{base_url.rsplit(':', 1)[1]}")


def _start_bare_web(stack, workers: int, threads: int, env: dict) -> str:
    """The ceiling app on the same gunicorn command line as Stack.start_web uses; it has no
    sign-in page for start_web's readiness probe, so we wait for its port instead."""
    from ops.stack import Service, StackError, free_port, web_command

    port = free_port()
    argv = web_command(port, workers, threads)
    full_env = {**stack.env, **env, "DJANGO_SETTINGS_MODULE": "benchmarks.bare.settings"}
    web = Service(f"web-{port}", argv, full_env, stack.tmp / "logs" / f"web-{port}.log")
    stack.services.append(web)  # the stack stops it with the rest
    # Ready when it answers: a save into an attempt that does not exist is refused with 409.
    deadline = time.monotonic() + 60
    while True:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            body = b'{"answer": "a", "version": 0}'
            probe.request("POST", "/bare/users/0/attempts/0/q/1/save/", body=body)
            if probe.getresponse().status == 409:
                break
        except OSError:
            pass
        finally:
            probe.close()
        if time.monotonic() > deadline or not web.alive():
            raise StackError(f"the bare app did not answer:\n{web.log_tail()}")
        time.sleep(0.1)
    return f"http://127.0.0.1:{port}"


@dataclass
class _Burst:
    workers: int
    accept_ms: list[float]
    statuses: dict[str, int]
    finished: dict[str, int]  # final status -> count
    full_marks: int
    drain_s: float  # from sending the burst to the last grading finished
    queue_wait_s: float  # median: created -> claimed by a worker
    grading_s: float  # median: claimed -> finished
    cores: dict[str, float]
    timed_out: bool

    @property
    def accepted(self) -> int:
        return self.statuses.get("202", 0)


FINISHED = ("graded", "ungradable", "error")


def _burst(stack, data: dict, web_url: str, workers: int, env: dict) -> _Burst:
    """BURST learners submit at once; wait until every accepted submission is finished."""
    from ops.stack import StackTimeout

    stack.stop_workers()
    for n in range(1, workers + 1):
        stack.start_worker(f"grader{n}", concurrency=1, queues="grading", env=env)
    # Each pool process boots its warm sandbox when it starts (about 1.3 s, see
    # labs.tasks.start_sandbox); let it finish so the burst times grading, not booting.
    time.sleep(3)
    before = stack.sql("SELECT coalesce(max(id), 0) FROM labs_submission")[0][0]
    slugs = sorted(data["labs"])
    clients = []
    for n, client in enumerate(data["clients"][:BURST]):
        slug = slugs[n % len(slugs)]  # every lab's reference solution, in turn
        body = json.dumps({"kind": "submit", "files": data["labs"][slug]})
        clients.append({**client, "path": f"/labs/{slug}/api/submissions/", "body": body})
    meter = _Meter(
        {
            "web": _service_on(stack, web_url).tree_pids,
            "workers": lambda: [p for w in stack.workers.values() for p in w.tree_pids()],
            "postgres": lambda: _postgres_backends(stack.dbname),
            "redis": lambda: [stack.redis.service.pid],
        }
    )
    meter.sample()
    port = int(web_url.rsplit(":", 1)[1])
    result = _run_client({"action": "burst", "port": port, "clients": clients})
    statuses: dict[str, int] = {}
    for status, _ms, _body in result["results"]:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    accepted = statuses.get("202", 0)

    def drained() -> bool:
        done = stack.sql(
            "SELECT count(*) FROM labs_submission WHERE id > %s AND status = ANY(%s)",
            before,
            list(FINISHED),
        )[0][0]
        return done >= accepted

    timed_out = False
    try:
        stack.wait_for(drained, DRAIN_TIMEOUT_S, "the burst to be graded")
    except StackTimeout:
        timed_out = True
    meter.sample()
    rows = stack.sql(
        "SELECT status, count(*), count(*) FILTER (WHERE score = max_score AND score > 0),"
        " extract(epoch FROM max(finished)),"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started - created)),"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished - started))"
        " FROM labs_submission WHERE id > %s GROUP BY status",
        before,
    )
    graded = [r for r in rows if r[0] == "graded"]
    last = max((float(r[3]) for r in rows if r[3] is not None), default=result["began"])
    return _Burst(
        workers=workers,
        accept_ms=sorted(ms for status, ms, _ in result["results"] if status == 202),
        statuses=statuses,
        finished={r[0]: r[1] for r in rows},
        full_marks=sum(r[2] for r in rows),
        drain_s=last - result["began"],
        queue_wait_s=float(graded[0][4]) if graded else float("nan"),
        grading_s=float(graded[0][5]) if graded else float("nan"),
        cores=meter.cores(),
        timed_out=timed_out,
    )


# --- the report ---------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _report(phases: dict[str, _Phase], bursts: list[_Burst], setup: dict) -> None:
    print(
        f"\nload average {setup['load'][0]:.1f} when the run started, {os.getloadavg()[0]:.1f} at"
        " the end (other processes on the machine take CPU from every part of the stack)"
    )
    print(
        f"web: gunicorn {setup['workers']} workers x {setup['threads']} threads (gthread) for "
        f"both the app and the ceiling; PostgreSQL {setup['postgres']}, Redis {setup['redis']};"
        f"\n{CLIENTS} clients, keep-alive, closed loop; {WARMUP_S:g} s warm-up per window;"
        f" {setup['tokens']} of {CLIENTS} question pages gave exam.js an autosave token"
    )
    width = max(len(p.label) for p in phases.values())
    print(
        f"\n{'action':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>6}  {'p95 ms':>6}"
        f"  {'p99 ms':>6}  {'non-2xx':>7}"
    )
    for phase in phases.values():
        print(
            f"{phase.label:<{width}}  {len(phase.latencies):>8}  {phase.rate:>7.0f}"
            f"  {phase.pct(0.5):>6.1f}  {phase.pct(0.95):>6.1f}  {phase.pct(0.99):>6.1f}"
            f"  {phase.failed:>7}"
        )
    parts = ("web", "postgres", "redis", "client", "machine")
    print(
        f"\nCPU while measuring, in cores ({os.cpu_count()} here; 'machine' is every process,"
        " ours or not), and CPU milliseconds per request:"
    )
    print(
        f"{'action':<{width}}  "
        + "  ".join(f"{p:>8}" for p in parts)
        + f"  {'web ms':>6}  {'pg ms':>6}"
    )
    for phase in phases.values():
        print(
            f"{phase.label:<{width}}  "
            + "  ".join(f"{phase.core(p):>8.2f}" for p in parts)
            + f"  {1000 * phase.core('web') / phase.rate:>6.2f}"
            + f"  {1000 * phase.core('postgres') / phase.rate:>6.2f}"
        )
    for phase in phases.values():
        for error in phase.errors[:3]:
            print(f"  {phase.label}: {error}")

    if bursts:
        print(
            f"\ndeadline burst: {BURST} learners submit a lab's reference solution at once "
            f"(the {len(setup['labs'])} labs in turn); grading workers: Celery, queue "
            f"'grading', concurrency 1 each, one per 'machine'"
        )
        print(
            f"{'workers':>7}  {'accepted':>8}  {'accept p50/p95/max ms':>22}  {'drain s':>7}"
            f"  {'graded':>6}  {'per s':>5}  {'wait p50 s':>10}  {'grade p50 s':>11}"
            f"  {'cpu: workers':>12}  {'web':>4}  {'pg':>4}  {'cpu s/grading':>13}"
        )
        for b in bursts:
            ms = b.accept_ms or [float("nan")]
            accept = (
                f"{statistics.median(ms):.0f}/{ms[round(0.95 * (len(ms) - 1))]:.0f}/{ms[-1]:.0f}"
            )
            print(
                f"{b.workers:>7}  {b.accepted:>8}  {accept:>22}  {b.drain_s:>7.1f}"
                f"  {b.full_marks:>6}  {b.full_marks / b.drain_s:>5.1f}  {b.queue_wait_s:>10.1f}"
                f"  {b.grading_s:>11.2f}  {b.cores['workers']:>12.2f}  {b.cores['web']:>4.2f}"
                f"  {b.cores['postgres']:>4.2f}"
                # The workers' CPU per graded submission: unlike the drain time, it hardly
                # depends on how much of the machine other processes take.
                f"  {b.cores['workers'] * b.drain_s / max(1, b.full_marks):>13.3f}"
            )
            others = {s: n for s, n in b.finished.items() if s != "graded"}
            if others or b.timed_out or b.accepted < BURST:
                print(f"         not all graded: {others}, responses {b.statuses}")
        if len(bursts) > 1:
            print(
                f"{bursts[-1].workers} workers drained {bursts[0].drain_s / bursts[-1].drain_s:.2f}x"
                f" faster than {bursts[0].workers}"
            )

    autosave, ceiling = phases["autosave"], phases["ceiling"]
    ratio = autosave.rate / ceiling.rate
    print("\ntargets:")
    print(
        f"  {_verdict(ratio >= RATIO_TARGET)}  autosave at >= {RATIO_TARGET:.0%} of the ceiling:"
        f" {ratio:.0%} ({autosave.rate:.0f} vs {ceiling.rate:.0f} req/s)"
    )
    p99 = autosave.pct(0.99)
    print(
        f"  {_verdict(p99 < P99_TARGET_MS)}  autosave p99 < {P99_TARGET_MS:.0f} ms at {CLIENTS}"
        f" clients: {p99:.1f} ms"
    )
    if bursts:
        b = bursts[-1]
        ok = b.accepted == BURST and b.full_marks == BURST and not b.timed_out
        print(
            f"  {_verdict(ok)}  {BURST} lab submissions all graded ({b.workers} workers):"
            f" {b.full_marks}/{BURST} at full marks, queue drained in {b.drain_s:.1f} s"
        )
    client = max(p.core("client") for p in phases.values())
    print(
        f"  note: the load client used at most {client:.2f} of a core "
        f"(it is not the bottleneck when that is well below the web's share)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_bench")
    parser.add_argument("--web-workers", type=int, default=WEB_WORKERS)
    parser.add_argument("--web-threads", type=int, default=WEB_THREADS)
    parser.add_argument("--window", type=float, default=WINDOW_S, help="seconds per window")
    parser.add_argument(
        "--bursts",
        default="1,2",
        help="grading workers per burst, e.g. '2' or '1,2' ('' none); make bench runs '2'",
    )
    args = parser.parse_args(argv)
    from ops.stack import StackError

    print(f"Load on the production stack: {_cpu_model()}, {os.cpu_count()} CPUs")
    try:
        return _run(args)
    except (StackError, OSError) as exc:
        # Benchmarks report, they never gate: say loudly why there are no numbers.
        print(f"\nload benchmark FAILED to run, no numbers: {type(exc).__name__}: {exc}")
        return 0


def _run(args: argparse.Namespace) -> int:
    from ops.stack import Stack

    began = time.monotonic()
    load = os.getloadavg()
    labs = [p for p in sorted((ROOT / "content" / "labs").iterdir()) if (p / "solution").is_dir()]
    with Stack("loadbench", labs=labs) as stack:
        # Production settings beyond the stack's own: the Redis cache (sessions read from
        # it), persistent database connections.
        env = {"CACHE_URL": stack.redis.url(1), "DATABASE_CONN_MAX_AGE": "60"}
        code = f"from benchmarks.load_bench import prepare\nprepare({BURST}, {CLIENTS})\n"
        out = stack.django(code, env=env)
        line = next(x for x in reversed(out.splitlines()) if x.startswith("LOAD-BENCH-DATA "))
        data = json.loads(line.split(" ", 1)[1])
        app_url = stack.start_web(workers=args.web_workers, threads=args.web_threads, env=env)
        bare_url = _start_bare_web(stack, args.web_workers, args.web_threads, env)
        savers = data["clients"][:CLIENTS]
        tokens = _autosave_tokens(app_url, savers)
        setup = {
            "workers": args.web_workers,
            "threads": args.web_threads,
            "postgres": stack.sql("SHOW server_version")[0][0].split()[0],
            "redis": subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
            .stdout.split()[2]
            .removeprefix("v="),
            "labs": data["labs"],
            "load": load,
            "tokens": tokens,
        }
        print(f"(stack ready in {time.monotonic() - began:.0f} s: database {stack.dbname})")

        def parts(web_url: str) -> dict:
            return {
                "web": _service_on(stack, web_url).tree_pids,
                "postgres": lambda: _postgres_backends(stack.dbname),
                "redis": lambda: [stack.redis.service.pid],
            }

        phases = {
            "ceiling": _Phase("ceiling: bare Django, the same UPDATE"),
            "autosave": _Phase("autosave (POST .../save/)"),
            "lessons": _Phase("lesson page (GET /lessons/<slug>/)"),
        }
        # Ceiling and autosave alternate, so a neighbour's load hits both alike; the
        # clients carry each question's version from one window to the next.
        for _ in range(WINDOWS):
            for action, url in (("ceiling", bare_url), ("autosave", app_url)):
                meter = _Meter(parts(url))
                port = int(url.rsplit(":", 1)[1])
                result = _measure(action, port, savers, [], args.window, meter)
                phases[action].add(result, meter.cores())
                for client, items in zip(savers, result["items"], strict=True):
                    client["items"] = items
        meter = _Meter(parts(app_url))
        port = int(app_url.rsplit(":", 1)[1])
        # As long as the autosave's two windows together: 15 s by default.
        lessons = data["clients"][:CLIENTS]
        result = _measure("lessons", port, lessons, data["lessons"], WINDOWS * args.window, meter)
        phases["lessons"].add(result, meter.cores())
        bursts = [
            _burst(stack, data, app_url, int(n), env) for n in args.bursts.split(",") if n.strip()
        ]
    _report(phases, bursts, setup)
    print(f"\n(load run took {time.monotonic() - began:.0f} s in all)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        sys.exit(client_main())
    sys.exit(main())
