"""Exam autosave while PostgreSQL restarts under it (a private cluster: restarting the system
server would take the test run's own database down).

Clients behave like static/js/exam.js: one save at a time per question, each carrying the
version the previous save returned; a save that fails (connection cut, 5xx) is sent again
unchanged (same answer, same base version) until the server answers. Afterwards every
answer the server acknowledged is stored exactly as last acknowledged, with its version.
"""

import http.client
import threading
import time
from dataclasses import dataclass, field

import pytest

from ops.stack import Learner, Stack
from tests.production.faults import PASSWORD

pytestmark = pytest.mark.production

LEARNERS = 4
THREADS_PER_LEARNER = 2  # like two tabs, each saving its own questions
SAVES_PER_THREAD = 24
RETRY_FOR = 60  # seconds one save may keep failing before the test gives up on it
ANSWERABLE = ("single", "multiple", "numeric")


@pytest.fixture(scope="module")
def exam_stack():
    # Persistent connections, as production runs: a restart leaves every web thread holding
    # a dead connection.
    with Stack("autosave", postgres="private", env={"DATABASE_CONN_MAX_AGE": "60"}) as stack:
        stack.start_web(workers=2, threads=4)
        yield stack


@dataclass
class Writer:
    learner: Learner
    attempt: int
    questions: list  # ExamQuestion, this writer's own positions
    acked: dict = field(default_factory=dict)  # position -> (answer, version) last 2xx
    acked_at: list = field(default_factory=list)  # monotonic time of each acknowledgement
    conflicts: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # what each retried request got
    error: BaseException | None = None

    def answer(self, question, step: int):
        if question.type == "single":
            return question.choices[step % len(question.choices)]
        if question.type == "multiple":
            return sorted({question.choices[step % len(question.choices)], question.choices[0]})
        return str(step + 1)  # numeric

    def save(self, question, answer, version: int):
        """One autosave, resent unchanged until the server answers; -> the response."""
        deadline = time.monotonic() + RETRY_FOR
        while True:
            try:
                response = self.learner.autosave(
                    self.attempt, question.position, answer, version, question.save_token
                )
                if response.status < 500:
                    return response
                self.failures.append(response.status)
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(type(exc).__name__)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"save of question {question.position} failed for {RETRY_FOR} s: "
                    f"{self.failures[-5:]}"
                )
            time.sleep(0.05)

    def run(self) -> None:
        try:
            known = {q.position: q.version for q in self.questions}
            for step in range(SAVES_PER_THREAD):
                question = self.questions[step % len(self.questions)]
                pos = question.position
                response = self.save(question, self.answer(question, step), known[pos])
                data = response.json()
                if response.status == 200:
                    known[pos] = data["version"]
                    self.acked[pos] = (data["answer"], data["version"])
                    self.acked_at.append(time.monotonic())
                elif response.status == 409:  # exam.js: take the stored answer and version
                    known[pos] = data["version"]
                    self.conflicts.append((pos, data["answer"], data["version"]))
                else:
                    raise AssertionError(f"question {pos}: {response.status} {data}")
        except BaseException as exc:
            self.error = exc


def _writers(stack: Stack) -> list[Writer]:
    names = [f"examinee{i}" for i in range(LEARNERS)]
    stack.create_users(names, PASSWORD)
    writers = []
    for name in names:
        learner = stack.learner(name, PASSWORD)
        attempt = learner.start_exam("mini-exam")
        questions = [learner.exam_question(attempt, p) for p in range(1, 11)]
        mine = [q for q in questions if q.type in ANSWERABLE]
        assert len(mine) >= THREADS_PER_LEARNER, [q.type for q in questions]
        for k in range(THREADS_PER_LEARNER):
            writers.append(Writer(learner, attempt, mine[k::THREADS_PER_LEARNER]))
    return writers


def _stored(stack: Stack, attempt: int) -> dict[int, tuple]:
    return {
        position: (answer, version)
        for position, answer, version in stack.sql(
            "SELECT position, answer, version FROM quizzes_attemptitem WHERE attempt_id = %s",
            attempt,
        )
    }


def test_acknowledged_answers_survive_a_postgres_restart_mid_burst(exam_stack):
    stack = exam_stack
    writers = _writers(stack)
    threads = [threading.Thread(target=w.run) for w in writers]
    for thread in threads:
        thread.start()
    try:
        stack.wait_for(
            lambda: (
                sum(len(w.acked_at) for w in writers) >= 2 * len(writers)
                or not any(t.is_alive() for t in threads)
            ),
            60,
            "the burst to get going",
        )
        restart_began = time.monotonic()
        stack.postgres.restart(mode="fast")
        restart_ended = time.monotonic()
    finally:
        for thread in threads:
            thread.join(timeout=RETRY_FOR * SAVES_PER_THREAD)
    assert not any(t.is_alive() for t in threads)

    report = {i: (len(w.acked_at), w.failures, w.conflicts, w.error) for i, w in enumerate(writers)}
    assert [w.error for w in writers] == [None] * len(writers), report
    # The burst straddled the restart: acknowledgements before it began and after it ended.
    acked_at = sorted(t for w in writers for t in w.acked_at)
    assert acked_at[0] < restart_began and acked_at[-1] > restart_ended, report
    # One writer per question, every retry unchanged: nothing can be stale.
    assert [w.conflicts for w in writers] == [[]] * len(writers), report
    for writer in writers:
        stored = _stored(stack, writer.attempt)
        assert {pos: stored[pos] for pos in writer.acked} == writer.acked, report


def test_repeated_identical_autosave_keeps_its_version(exam_stack):
    stack = exam_stack
    stack.create_users(["repeater"], PASSWORD)
    learner = stack.learner("repeater", PASSWORD)
    attempt = learner.start_exam("mini-exam")
    question = next(
        q for q in (learner.exam_question(attempt, p) for p in range(1, 11)) if q.type == "single"
    )
    first = learner.autosave(
        attempt, question.position, question.choices[0], question.version, question.save_token
    )
    assert first.status == 200, first.text
    saved = first.json()["version"]
    assert saved == question.version + 1

    # A retry of the same request (same answer, same base version), then exam.js's next
    # save of an unchanged answer (base version = the one just returned): both are no-ops.
    again = learner.autosave(
        attempt, question.position, question.choices[0], question.version, question.save_token
    )
    once_more = learner.autosave(
        attempt, question.position, question.choices[0], saved, question.save_token
    )
    assert [(r.status, r.json()["answer"], r.json()["version"]) for r in (again, once_more)] == [
        (200, question.choices[0], saved)
    ] * 2
    assert _stored(stack, attempt)[question.position] == (question.choices[0], saved)
