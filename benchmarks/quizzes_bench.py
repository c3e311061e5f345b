"""Quiz speed over a 1,000-question bank: drawing a 65-question exam, one autosave, the exam
question page, and grading/closing a 65-question attempt.

Run with `.venv/bin/python -m benchmarks.quizzes_bench`, or call `main()` after Django is
set up (benchmarks/__main__.py does that with its throwaway database; the lead wires it into
`make bench`). Standalone, it sets up a fresh temporary COLDSTART_VAR_DIR exactly as
benchmarks/__main__.py does, so the developer's var/ database is never touched. Either way
it imports content/ if the database has no lessons yet, retires the bank it finds and adds
1,000 questions copied from the shipped ones (same mix of types, generated families
included). Numbers are reported against the targets, never asserted.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from itertools import cycle

from django.apps import apps

from benchmarks.common import p95 as _p95
from benchmarks.common import throwaway_django

# Standalone: a private var dir and the embedded SQLite default, before settings load.
_OWN_VAR_DIR = "" if apps.ready else throwaway_django("coldstart-quiz-bench-")

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.roles import LEARNER, grant_role_permissions  # noqa: E402
from accounts.services import create_user_with_role  # noqa: E402
from courses.importer import import_content  # noqa: E402
from courses.models import Lesson  # noqa: E402
from quizzes import exams  # noqa: E402
from quizzes.bank import SyncCounts, sync_questions  # noqa: E402
from quizzes.models import Exam, ExamAttempt, Question  # noqa: E402
from quizzes.spec import DOMAINS, spec_from_dict  # noqa: E402

BANK_SIZE = 1000
EXAM_QUESTIONS = 65
DRAW_RUNS = 30
SAVE_RUNS = 200
PAGE_RUNS = 100
CLOSE_RUNS = 15
DRAW_TARGET_MS = 50.0
SAVE_TARGET_MS = 20.0


def _time_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def build_bank(size: int = BANK_SIZE) -> dict[str, int]:
    """Retire the bank found and add `size` active questions copied from it (new slugs), so
    the mix of types and generator families matches the shipped bank. Returns the count of
    the new bank per type."""
    if not Lesson.objects.exists():
        import_content(settings.CONTENT_DIR)
    templates = [
        q.spec for q in Question.objects.filter(is_active=True, origin="file").order_by("slug")
    ]
    if not templates:
        raise SystemExit("no questions to copy: content/quizzes/ is empty")
    Question.objects.update(is_active=False)
    specs = []
    for i, template in zip(range(size), cycle(templates), strict=False):
        spec = spec_from_dict({**template, "slug": f"bench-{i:04d}-{template['slug']}"[:100]})
        specs.append(spec)
    sync_questions(specs, origin="browser", counts=SyncCounts(), retire_missing=False)
    kinds: dict[str, int] = {}
    for spec in specs:
        kinds[spec.type] = kinds.get(spec.type, 0) + 1
    return kinds


def _exam() -> Exam:
    exam, _ = Exam.objects.update_or_create(
        slug="bench-exam",
        defaults={
            "title": "Benchmark exam",
            "question_count": EXAM_QUESTIONS,
            "minutes": 130,
            "blueprint": dict.fromkeys(DOMAINS, 1),
        },
    )
    return exam


def _learner() -> User:
    grant_role_permissions(Group, Permission)  # a flush (benchmarks/__main__) drops the roles
    User.objects.filter(username="quiz-bench").delete()
    return create_user_with_role(
        username="quiz-bench",
        password="quiz-bench-pass-1",  # noqa: S106 - throwaway account in a temp database
        role=LEARNER,
    )


def bench_draw(user: User, exam: Exam) -> list[float]:
    exams.start_attempt(user=user, exam=exam)  # warm-up: first queries, imports
    return [_time_ms(lambda: exams.start_attempt(user=user, exam=exam)) for _ in range(DRAW_RUNS)]


def bench_autosave(client: Client, attempt: ExamAttempt) -> list[float]:
    """Alternate two answers on one single-answer question, so every save is a real write
    carrying the version the previous response returned (as static/js/exam.js does)."""
    item = next(i for i in attempt.items.order_by("position") if i.spec.get("type") == "single")
    url = f"/quizzes/attempts/{attempt.pk}/q/{item.position}/save/"
    state = {"version": item.version}

    def save(answer: str) -> None:
        body = json.dumps({"answer": answer, "version": state["version"]})
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 200, response.content
        state["version"] = response.json()["version"]

    save("a")  # warm-up
    return [_time_ms(lambda n=n: save("ab"[n % 2])) for n in range(1, SAVE_RUNS + 1)]


def bench_page(client: Client, attempt: ExamAttempt) -> list[float]:
    positions = cycle(range(1, attempt.question_count + 1))

    def fetch() -> None:
        response = client.get(f"/quizzes/attempts/{attempt.pk}/q/{next(positions)}/")
        assert response.status_code == 200, response.status_code

    fetch()  # warm-up: template loading
    return [_time_ms(fetch) for _ in range(PAGE_RUNS)]


def bench_close(user: User, exam: Exam) -> list[float]:
    """Close and score full attempts, every question answered (first option / a number /
    a full matching or ordering), so every item is graded."""
    samples = []
    for _ in range(CLOSE_RUNS + 1):
        attempt = exams.start_attempt(user=user, exam=exam)
        for item in attempt.items.all():
            public = item.variant().public()
            exams.save_answer(
                attempt=attempt,
                position=item.position,
                answer=_some_answer(public),
                base_version=item.version,
            )
        samples.append(
            _time_ms(
                lambda attempt=attempt: exams.submit_attempt(attempt=attempt)  # type: ignore[misc]
            )
        )
    return samples[1:]  # the first one warmed up


def _some_answer(public: dict):
    kind = public["type"]
    if kind == "single":
        return public["choices"][0]["key"]
    if kind == "multiple":
        return [c["key"] for c in public["choices"][: public["choose"]]]
    if kind == "numeric":
        return "42"
    if kind == "matching":
        return {x["key"]: public["right"][0]["key"] for x in public["left"]}
    return [x["key"] for x in public["items"]]


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    """Build the bank, time the four measures and print a table with the targets."""
    call_command("migrate", verbosity=0)
    kinds = build_bank()
    exam = _exam()
    user = _learner()
    client = Client()
    client.force_login(user)

    draw = bench_draw(user, exam)
    # The page and the autosave on an attempt of their own, open for the whole run.
    ExamAttempt.objects.filter(user=user, status=ExamAttempt.Status.OPEN).update(
        status=ExamAttempt.Status.SUBMITTED
    )
    attempt = exams.start_attempt(user=user, exam=exam)
    save = bench_autosave(client, attempt)
    page = bench_page(client, attempt)
    close = bench_close(user, exam)

    active = Question.objects.filter(is_active=True).count()
    rows = [
        (f"draw a {EXAM_QUESTIONS}-question exam (start_attempt)", draw),
        ("autosave one answer (POST .../save/)", save),
        ("exam question page (GET .../q/<n>/)", page),
        (f"grade and close a {EXAM_QUESTIONS}-question attempt", close),
    ]
    width = max(len(label) for label, _ in rows)
    mix = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    print(f"Quiz benchmarks: {active} active questions ({mix})\n")
    print(f"{'measure':<{width}}  {'runs':>4}  {'median ms':>9}  {'p95 ms':>8}")
    for label, samples in rows:
        print(
            f"{label:<{width}}  {len(samples):>4}  {statistics.median(samples):>9.1f}"
            f"  {_p95(samples):>8.1f}"
        )
    draw_median, save_median = statistics.median(draw), statistics.median(save)
    print("\ntargets:")
    print(
        f"  {_verdict(draw_median < DRAW_TARGET_MS)}  exam draw median {draw_median:.1f} ms "
        f"< {DRAW_TARGET_MS:.0f} ms"
    )
    print(
        f"  {_verdict(save_median < SAVE_TARGET_MS)}  autosave median {save_median:.1f} ms "
        f"< {SAVE_TARGET_MS:.0f} ms (server time through the test client)"
    )
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        connections.close_all()
        if _OWN_VAR_DIR:
            shutil.rmtree(_OWN_VAR_DIR, ignore_errors=True)
    sys.exit(status)
