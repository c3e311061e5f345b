"""Grading end to end with the real sandbox: the Celery task (run eagerly, through Celery's
API, after the commit), re-grading, import validation that needs the engine, and the
management commands."""

import dataclasses
import hashlib
import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from config.celery import app
from courses.content_errors import ContentErrors
from courses.importer import import_content
from labs import services
from labs.content import load_lab, verification_key, verify_solution
from labs.models import Lab, Submission

from .conftest import LAB_FOLDERS, QUEUE_LAB, lab_files, make_content_dir

SOLUTION = lab_files("solution")
STARTER = lab_files("starter")


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True  # the task runs in-process, through Celery's API
    yield
    app.conf.task_always_eager = False


def post(client, lab, kind, files, capture, messages=1):
    with capture(execute=True) as callbacks:
        response = client.post(
            reverse("labs:api_submit", args=[lab.slug]),
            data=json.dumps({"kind": kind, "files": files}),
            content_type="application/json",
        )
    assert response.status_code == 202 and len(callbacks) == messages
    return Submission.objects.get(pk=response.json()["id"])


def test_solution_is_graded_full_marks_through_celery(
    client, queue_lab, learner, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    submission = post(client, queue_lab, "submit", SOLUTION, django_capture_on_commit_callbacks)
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.max_score) == ("graded", 3, 3)
    assert submission.attempts == 1
    assert submission.started <= submission.finished
    assert submission.checks_digest == queue_lab.checks_digest
    assert [(c["name"], c["passed"]) for c in submission.result["checks"]] == [
        ("The jobs queue exists", True),
        ("Visibility timeout is 60 seconds", True),
    ]
    status = client.get(reverse("labs:submission_status", args=[submission.pk])).json()
    assert (status["status"], status["finished"], status["score"], status["max_score"]) == (
        "graded",
        True,
        3.0,
        3.0,
    )
    assert '<strong data-testid="score">3 / 3</strong>' in status["html"]
    assert '<span class="badge done">Full marks</span>' in status["html"]
    # The task is idempotent: a second delivery changes nothing.
    assert services.grade_submission(submission_id=submission.pk) is None


def test_starter_shows_the_failing_check_with_message_and_hint(
    client, queue_lab, learner, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    submission = post(client, queue_lab, "submit", STARTER, django_capture_on_commit_callbacks)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert '<strong data-testid="score">1 / 3</strong>' in page
    assert '<p class="check-message">The visibility timeout is 30 seconds, not 60.</p>' in page
    assert (
        '<p class="check-hint" data-testid="hint"><strong>Hint:</strong> Pass '
        "Attributes={&#x27;VisibilityTimeout&#x27;: &#x27;60&#x27;} to create_queue.</p>"
    ) in page
    assert "queue created" in page  # the script's output


def test_run_shows_output_and_inventory_without_a_score(
    client, queue_lab, learner, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    submission = post(client, queue_lab, "run", STARTER, django_capture_on_commit_callbacks)
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.max_score) == ("graded", None, None)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "<strong>Run finished.</strong>" in page
    assert '<pre data-testid="output">queue created\n</pre>' in page
    assert (
        "<h4>sqs</h4>" in page and '<li><code>jobs</code> <span class="badge">queue</span>' in page
    )


def test_code_that_cannot_run_is_ungradable_with_the_reason(
    client, queue_lab, learner, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    broken = {"provision.py": "import boto3\nx = (\n"}
    submission = post(client, queue_lab, "submit", broken, django_capture_on_commit_callbacks)
    submission.refresh_from_db()
    assert (submission.status, submission.score) == ("ungradable", None)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert (
        "<strong>Your code could not be run:</strong> provision.py:2: syntax error: "
        "&#x27;(&#x27; was never closed"
    ) in page


def test_regrade_after_the_checks_change(
    client, queue_lab, learner, instructor, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    submission = post(client, queue_lab, "submit", SOLUTION, django_capture_on_commit_callbacks)
    checks = services.lab_dir(queue_lab) / "checks.py"
    checks.write_text(
        checks.read_text().replace('== "60"', '== "45"').replace("not 60.", "not 45.")
    )
    client.force_login(instructor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("labs:regrade", args=[queue_lab.slug]))
    assert len(callbacks) == 1
    submission.refresh_from_db()
    # A new round, claimed once; the ledger keeps one result per round.
    assert (submission.status, submission.score, submission.round, submission.attempts) == (
        "graded",
        1,
        2,
        1,
    )
    assert list(submission.results.values_list("round", "attempt", "status", "score")) == [
        (1, 1, "graded", 3),
        (2, 1, "graded", 1),
    ]
    assert submission.checks_digest == hashlib.sha256(checks.read_bytes()).hexdigest()
    assert submission.checks_digest != queue_lab.checks_digest  # not re-imported yet
    assert submission.result["checks"][1]["message"] == (
        "The visibility timeout is 60 seconds, not 45."
    )
    assert services.gradebook(lab=queue_lab)[0].latest_score == 1


# --- import validation that needs the engine -----------------------------------------------


def broken_content(tmp_path, change):
    content = make_content_dir(tmp_path, {QUEUE_LAB: LAB_FOLDERS / QUEUE_LAB})
    change(content / "labs" / QUEUE_LAB)
    return content


def import_errors(content) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        import_content(content)
    return [str(e) for e in caught.value.errors]


def test_checks_that_fail_to_load_are_reported_with_file_and_line(course, lab_extension, tmp_path):
    def change(lab):
        checks = lab / "checks.py"
        checks.write_text(checks.read_text() + "\nLIMIT = undefined_name\n")

    assert import_errors(broken_content(tmp_path, change)) == [
        "content/labs/queue-timeout/checks.py:30: checks.py fails to load: NameError: name "
        "'undefined_name' is not defined (fix: fix checks.py; it is imported before any check "
        "runs)"
    ]


def test_a_solution_short_of_full_marks_names_the_failing_checks(course, lab_extension, tmp_path):
    def change(lab):
        shutil.copy(lab / "starter" / "provision.py", lab / "solution" / "provision.py")

    assert import_errors(broken_content(tmp_path, change)) == [
        "content/labs/queue-timeout/solution/: the reference solution scores 1 of 3; failing "
        "checks: 'Visibility timeout is 60 seconds' (The visibility timeout is 30 seconds, not "
        "60.) (fix: fix the solution or the checks so the reference earns full marks)"
    ]


def test_import_is_idempotent_and_check_writes_nothing(course, lab_extension, tmp_path, capsys):
    content = make_content_dir(tmp_path, {QUEUE_LAB: LAB_FOLDERS / QUEUE_LAB})
    call_command("import_content", "--check", "--content-dir", str(content))
    assert "1 lab" in capsys.readouterr().out
    assert not Lab.objects.filter(slug=QUEUE_LAB).exists()
    first = import_content(content)
    assert first.created["labs"] == 1
    lab = Lab.objects.get(slug=QUEUE_LAB)
    assert sorted(lab.lessons.values_list("slug", flat=True)) == ["sqs", "sqs-lambda"]
    assert import_content(content).summary() == "no changes"


# --- management commands --------------------------------------------------------------------


def test_grade_lab_prints_the_result_contract(lab_content, tmp_path, capsys):
    call_command("grade_lab", QUEUE_LAB, str(LAB_FOLDERS / QUEUE_LAB / "starter"), "--json")
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["gradable"], result["score"], result["max_score"]) == (
        "graded",
        True,
        1,
        3,
    )
    assert [c["passed"] for c in result["checks"]] == [True, False]
    assert result["output"] == "queue created\n"


def test_sandbox_run_prints_output_and_inventory(tmp_path, capsys):
    call_command("sandbox_run", str(LAB_FOLDERS / QUEUE_LAB / "solution"), "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["checks"] == [] and result["output"] == "queue created\n"
    assert result["inventory"] == {"sqs": [{"type": "queue", "name": "jobs"}]}


def test_a_lab_folder_gone_after_import_gives_a_grader_error_not_a_zero(
    client, queue_lab, learner, eager_celery, django_capture_on_commit_callbacks
):
    shutil.rmtree(services.lab_dir(queue_lab))
    client.force_login(learner)
    # Three task messages: the submit's, and one re-send after each of two failed attempts.
    submission = post(
        client, queue_lab, "submit", SOLUTION, django_capture_on_commit_callbacks, messages=3
    )
    submission.refresh_from_db()
    # Our fault on every try: retried up to MAX_ATTEMPTS, then a final error that is no score.
    assert (submission.status, submission.score, submission.max_score, submission.attempts) == (
        "error",
        None,
        None,
        3,
    )
    assert submission.results.count() == 1
    page = client.get(submission.get_absolute_url()).content.decode()
    reason = page.split("<strong>Grading failed. This is not your score.</strong> ", 1)[1]
    reason = reason.split("</p>", 1)[0]
    # The sandbox's last reason, escaped, naming the content path rather than the server's.
    assert reason.startswith(
        "Grading failed 3 times in our grading system. This is not your score and says "
        "nothing about your code; submit again, or ask an instructor. Last error: "
        "checks.py failed to load: "
    )
    assert reason.endswith(
        "FileNotFoundError: [Errno 2] No such file or directory: "
        "&#x27;content/labs/queue-timeout/checks.py&#x27;"
    )


def test_grade_lab_prints_a_readable_summary_and_refuses_bad_arguments(lab_content, capsys):
    call_command("grade_lab", QUEUE_LAB, str(LAB_FOLDERS / QUEUE_LAB / "starter"))
    assert capsys.readouterr().out == (
        "score 1 / 3\n"
        "  PASS The jobs queue exists (1/1): Passed.\n"
        "  FAIL Visibility timeout is 60 seconds (0/2): The visibility timeout is 30 seconds, "
        "not 60.\n"
        "       hint: Pass Attributes={'VisibilityTimeout': '60'} to create_queue.\n"
    )
    with pytest.raises(CommandError) as caught:
        call_command("grade_lab", "no-such-lab", str(LAB_FOLDERS / QUEUE_LAB / "starter"))
    assert str(caught.value) == (
        f"no lab 'no-such-lab': {lab_content}/labs/no-such-lab/checks.py does not exist"
    )
    with pytest.raises(CommandError) as caught:
        call_command("sandbox_run", str(lab_content / "missing"))
    assert str(caught.value) == f"{lab_content}/missing: not a directory"


def test_a_verified_solution_is_graded_again_only_when_its_files_change(tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    folder = tmp_path / QUEUE_LAB
    shutil.copytree(LAB_FOLDERS / QUEUE_LAB, folder)
    spec = load_lab(folder, {"sqs", "sqs-lambda"})
    assert verify_solution(spec) == []
    key = verification_key(folder)
    assert json.loads((settings.VAR_DIR / "labs-verified.json").read_text()) == [key]
    # Same files on disk: the earlier verification stands, nothing is graded (grading the
    # starter in place of the solution would fail).
    starter_in_place = dataclasses.replace(spec, solution_files=STARTER)
    assert verify_solution(starter_in_place) == []
    # One changed byte in the folder and the sandbox grades again.
    (folder / "checks.py").write_text((folder / "checks.py").read_text() + "\n")
    assert verification_key(folder) != key
    assert [e.message for e in verify_solution(starter_in_place)] == [
        "the reference solution scores 1 of 3; failing checks: 'Visibility timeout is 60 "
        "seconds' (The visibility timeout is 30 seconds, not 60.)"
    ]


def test_a_regrade_that_fails_in_our_machinery_keeps_the_previous_grade(
    client, queue_lab, learner, instructor, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    submission = post(client, queue_lab, "submit", SOLUTION, django_capture_on_commit_callbacks)
    submission.refresh_from_db()
    before = (submission.status, submission.score, submission.max_score, submission.result)
    assert before[:2] == ("graded", 3)
    checks = services.lab_dir(queue_lab) / "checks.py"
    checks.write_text('raise RuntimeError("the checks are broken")\n')
    client.force_login(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("labs:regrade", args=[queue_lab.slug]))
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.max_score, submission.result) == before
    # Our machinery failed on every try: three claims in round 2, then the failure went to
    # the ledger while the submission kept its round-1 grade.
    assert (submission.round, submission.attempts) == (2, 3)
    failure = submission.results.get(round=2)
    assert (failure.status, failure.attempt, failure.score) == ("error", 3, None)
    assert failure.result["reason"].startswith("Grading failed 3 times in our grading system.")
    assert services.gradebook(lab=queue_lab)[0].best_score == 3
