"""Time the content import, the lesson pages, the quizzes (benchmarks/quizzes_bench.py), lab
grading (benchmarks/labs_bench.py) and the production stack under load
(benchmarks/load_bench.py), in that order, in one run.

Run with `make bench` or `.venv/bin/python -m benchmarks`. Everything happens in a fresh
temporary COLDSTART_VAR_DIR (SQLite database, secret key, broker folders), so the
developer's var/ database is never touched. The report always exits 0: benchmarks report
numbers against targets, they do not gate anything (tests never time things).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from collections.abc import Callable

from benchmarks.common import p95 as _p95
from benchmarks.common import throwaway_django

# Before Django reads its settings: a private var dir and the embedded SQLite default.
VAR_DIR = throwaway_django("coldstart-bench-")

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.roles import LEARNER, grant_role_permissions  # noqa: E402
from accounts.services import create_user_with_role  # noqa: E402
from courses.importer import import_content  # noqa: E402
from courses.models import Lesson  # noqa: E402

IMPORT_RUNS = 5
PAGE_RUNS = 50
LESSON = "lambda-limits"
IMPORT_TARGET_S = 3.0
PAGE_TARGET_MS = 30.0


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _restore_roles() -> None:
    """flush empties auth_group (the roles come from a data migration); put them back."""
    grant_role_permissions(Group, Permission)


def bench_import() -> tuple[list[float], list[float], str]:
    full = []
    for _ in range(IMPORT_RUNS):
        call_command("flush", interactive=False, verbosity=0)
        start = time.perf_counter()
        result = import_content(settings.CONTENT_DIR)
        full.append(time.perf_counter() - start)
        assert result.changed, "an import into an empty database must create rows"
    summaries = set()

    def reimport() -> None:
        summaries.add(import_content(settings.CONTENT_DIR).summary())

    again = _time(reimport, IMPORT_RUNS)
    return full, again, ", ".join(sorted(summaries))


def bench_pages() -> tuple[dict[str, list[float]], dict[str, int], str]:
    _restore_roles()
    password = "bench-learner-pass-1"  # noqa: S105 - throwaway account in a temp database
    create_user_with_role(username="bench-learner", password=password, role=LEARNER)
    client = Client()
    assert client.login(username="bench-learner", password=password)

    def get(url: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    urls = {
        "lesson page, merged": f"/lessons/{LESSON}/",
        "lesson page, by source": f"/lessons/{LESSON}/?view=source",
        "course page": "/",
    }
    timings = {}
    for label, url in urls.items():
        get(url)()  # warm-up: template loading, first connection
        timings[label] = _time(get(url), PAGE_RUNS)

    # The second lesson: the one with the most sections, so a per-section query would show.
    other = (
        Lesson.objects.exclude(slug=LESSON)
        .annotate(n=Count("sections"))
        .order_by("-n", "order")
        .values_list("slug", flat=True)
        .first()
    )
    queries = {}
    for slug in filter(None, (LESSON, other)):
        for suffix in ("", "?view=source"):
            url = f"/lessons/{slug}/{suffix}"
            with CaptureQueriesContext(connection) as captured:
                get(url)()
            queries[url] = len(captured.captured_queries)
    return timings, queries, other or ""


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    call_command("migrate", verbosity=0)
    full, again, again_summary = bench_import()
    timings, queries, other = bench_pages()
    lessons = Lesson.objects.count()

    rows = [
        ("full import into an empty database", [s * 1000 for s in full]),
        ("re-import, content unchanged", [s * 1000 for s in again]),
    ]
    rows += [(f"{label} (GET x{PAGE_RUNS})", [s * 1000 for s in t]) for label, t in timings.items()]
    width = max(len(label) for label, _ in rows)
    print(f"Coldstart benchmarks: {lessons} lessons from {settings.CONTENT_DIR}")
    print(f"(throwaway database in {VAR_DIR})\n")
    print(f"{'measure':<{width}}  {'runs':>4}  {'median ms':>9}  {'p95 ms':>8}")
    for label, samples in rows:
        print(
            f"{label:<{width}}  {len(samples):>4}  {statistics.median(samples):>9.1f}"
            f"  {_p95(samples):>8.1f}"
        )
    print(f"\nre-import reported: {again_summary}")
    print("queries per lesson request:")
    url_width = max(len(url) for url in queries)
    for url, count in queries.items():
        print(f"  {url:<{url_width}}  {count:>4}")

    import_median = statistics.median(full)
    lesson_p95 = max(_p95(timings["lesson page, merged"]), _p95(timings["lesson page, by source"]))
    merged_counts = {c for u, c in queries.items() if "?" not in u}
    source_counts = {c for u, c in queries.items() if "?" in u}
    constant = bool(other) and len(merged_counts) == 1 and len(source_counts) == 1
    print("\ntargets:")
    print(
        f"  {_verdict(import_median < IMPORT_TARGET_S)}  full import median "
        f"{import_median:.2f} s < {IMPORT_TARGET_S:.0f} s"
    )
    print(
        f"  {_verdict(lesson_p95 * 1000 < PAGE_TARGET_MS)}  lesson page p95 "
        f"{lesson_p95 * 1000:.1f} ms < {PAGE_TARGET_MS:.0f} ms (worse of merged and by source)"
    )
    print(
        f"  {_verdict(constant)}  constant queries per lesson: "
        f"{LESSON} and {other or '(no second lesson)'} -> merged {sorted(merged_counts)}, "
        f"by source {sorted(source_counts)}"
    )

    # Quizzes run in this process (they need the throwaway database); the labs benchmark
    # does not touch Django and measures the sandbox on its own.
    from benchmarks import labs_bench, quizzes_bench

    print("\n" + "-" * 72)
    quizzes_bench.main()
    print("\n" + "-" * 72)
    labs_bench.main()

    # Last: its own PostgreSQL database, Redis, gunicorn and Celery workers in subprocesses
    # (ops/stack.py), nothing shared with the throwaway SQLite database above. Only the
    # two-worker burst, to keep the section near two and a half minutes; the one-worker
    # comparison runs with `python -m benchmarks.load_bench` alone.
    from benchmarks import load_bench

    print("\n" + "-" * 72)
    load_bench.main(["--bursts", "2"])
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        connections.close_all()
        shutil.rmtree(VAR_DIR, ignore_errors=True)
    sys.exit(status)
