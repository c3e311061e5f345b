"""Redis, the broker, going away: restarted mid-burst (it keeps nothing on disk, so every
queued message is lost) and down while a learner submits. The database rows are the
truth; the sweeper sends again what the broker lost or never got."""

import re

import pytest

from ops.stack import Learner
from tests.production.faults import (
    PASSWORD,
    QUEUE_LAB,
    SLOW_LAB,
    assert_graded_once,
    clean_outcome,
    lab_files,
    rows,
    wait_finished,
    wait_status,
)

pytestmark = pytest.mark.production


def test_redis_restart_mid_burst_loses_no_submission(stack, learners):
    worker = stack.start_worker("r1")
    burst = [
        (SLOW_LAB, lab_files(SLOW_LAB)),
        (QUEUE_LAB, lab_files(QUEUE_LAB)),
        (QUEUE_LAB, lab_files(QUEUE_LAB, "starter")),
        (SLOW_LAB, lab_files(SLOW_LAB, "starter")),
        (QUEUE_LAB, lab_files(QUEUE_LAB)),
        (QUEUE_LAB, lab_files(QUEUE_LAB, "starter")),
    ]
    submitted = {learners.submit(lab, files): (lab, files) for lab, files in burst}
    ids = list(submitted)
    wait_status(stack, ids[0], "running")
    waiting = [pk for pk, row in rows(stack, ids).items() if row["status"] == "queued"]
    # One worker, one process, a two-second grading ahead of them: the rest are waiting.
    assert len(waiting) >= 4, rows(stack, ids)

    stack.redis.stop(kill=True)  # with it go the messages of every waiting submission
    worker.wait_for_log(r"Connection to broker lost", 30)
    stack.redis.start()
    expected = {pk: clean_outcome(lab, files) for pk, (lab, files) in submitted.items()}

    wait_finished(stack, ids)
    assert_graded_once(stack, expected)


def _web_service(stack, base_url: str):
    port = base_url.rsplit(":", 1)[1]
    return next(s for s in stack.services if s.name == f"web-{port}")


@pytest.mark.parametrize("cache", ["database", "redis"])
def test_submit_while_redis_is_down_is_accepted_then_graded(stack, cache):
    """`redis`: the cache (sessions, sign-in throttle) on the same Redis server as the
    broker, as the deployment docs set it up, so the outage takes both away."""
    web = None
    base = stack.base_url
    if cache == "redis":
        base = stack.start_web(workers=1, threads=2, env={"CACHE_URL": stack.redis.url(1)})
        web = _web_service(stack, base)
    try:
        _submit_during_outage(stack, cache, base)
    finally:
        if web is not None:
            web.stop(timeout=5)


def _submit_during_outage(stack, cache: str, base: str) -> None:
    name = f"outage-{cache}"
    stack.create_users([name], PASSWORD)
    # A browser-like patience: a submit that hangs on the dead broker fails the test.
    learner = Learner(base, name, PASSWORD, timeout=10).login()
    stack.start_worker(f"b{cache}")
    files, starter = lab_files(QUEUE_LAB), lab_files(QUEUE_LAB, "starter")

    stack.redis.stop(kill=True)
    try:
        api = learner.submit_lab(QUEUE_LAB.name, files)  # what labs.js sends
        form = learner.submit_lab_form(QUEUE_LAB.name, starter)  # the page without JavaScript
        stored = stack.sql(
            "SELECT s.id, s.status, s.sent_at FROM labs_submission s"
            " JOIN auth_user u ON u.id = s.user_id WHERE u.username = %s ORDER BY s.id",
            name,
        )
    finally:
        stack.redis.start()
    assert api.status == 202, (api.status, stack.diagnostics(60))
    assert form.status == 302, (form.status, stack.diagnostics(60))
    match = re.fullmatch(r"/labs/submissions/(\d+)/", form.location)
    assert match, form.location
    ids = [api.json()["id"], int(match.group(1))]
    # Stored and waiting, its message never sent; the sweeper sends it once Redis is back.
    assert stored == [(ids[0], "queued", None), (ids[1], "queued", None)]
    expected = {ids[0]: clean_outcome(QUEUE_LAB, files), ids[1]: clean_outcome(QUEUE_LAB, starter)}

    wait_finished(stack, ids)
    assert_graded_once(stack, expected)
