"""Autosave: idempotent, safe against stale tabs, and the same rules for form posts."""

import pytest
from django.conf import settings
from django.http import QueryDict

from quizzes import exams
from quizzes.models import AttemptItem
from quizzes.rendering import AnswerFormError, answer_from_post

from .conftest import autosave, right_answer, single, token_header, wrong_answer


@pytest.fixture
def attempt(only_questions, learner, make_exam):
    only_questions(*(single(f"save-{n}", domain="limits") for n in range(3)))
    return exams.start_attempt(
        user=learner, exam=make_exam(questions=3, minutes=30, blueprint={"limits": 1})
    )


def stored(attempt, position):
    return AttemptItem.objects.get(attempt=attempt, position=position)


def test_saving_the_same_answer_twice_is_one_state(attempt, lena_client):
    first = autosave(lena_client, attempt, 1, answer="b", version=0)
    item = stored(attempt, 1)
    again = autosave(lena_client, attempt, 1, answer="b", version=1)
    # A retry of a request whose response was lost carries the old version: still one state.
    retry = autosave(lena_client, attempt, 1, answer="b", version=0)
    assert [r.status_code for r in (first, again, retry)] == [200, 200, 200]
    assert [r.json()["version"] for r in (first, again, retry)] == [1, 1, 1]
    after = stored(attempt, 1)
    assert (after.answer, after.version, after.answered_at) == ("b", 1, item.answered_at)
    assert AttemptItem.objects.filter(attempt=attempt).count() == 3


def test_a_stale_tab_cannot_overwrite_a_newer_answer(attempt, lena_client):
    # Both tabs loaded the page at version 0; the new tab answers "c", the old one "a".
    new_tab = autosave(lena_client, attempt, 2, answer="c", version=0)
    old_tab = autosave(lena_client, attempt, 2, answer="a", version=0)
    assert new_tab.status_code == 200
    assert old_tab.status_code == 409
    body = old_tab.json()
    assert (body["answer"], body["version"]) == ("c", 1)
    assert body["error"].startswith("This answer was changed in another tab or window")
    assert (stored(attempt, 2).answer, stored(attempt, 2).version) == ("c", 1)
    # Once the old tab has caught up (it shows the newer answer and version), it may change it.
    caught_up = autosave(lena_client, attempt, 2, answer="a", version=1)
    assert (caught_up.status_code, caught_up.json()["version"]) == (200, 2)
    assert stored(attempt, 2).answer == "a"


def test_clearing_an_answer_unanswers_the_question(attempt, lena_client):
    autosave(lena_client, attempt, 1, answer=["a", "b"], version=0)
    cleared = autosave(lena_client, attempt, 1, answer=[], version=1)
    assert cleared.json()["answer"] is None
    item = stored(attempt, 1)
    assert (item.answer, item.answered_at, item.version) == (None, None, 2)


def test_a_reload_shows_the_saved_answer_and_flag(attempt, lena_client):
    item = stored(attempt, 1)
    autosave(lena_client, attempt, 1, answer=right_answer(item), version=0)
    flag = autosave(lena_client, attempt, 1, flagged=True)
    assert flag.json()["flagged"] is True and flag.json()["version"] == 1
    page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/1/").content.decode()
    assert f'value="{right_answer(item)}" checked' in page
    assert 'name="version" value="1"' in page
    assert 'name="flagged" value="1" checked' in page
    assert 'class="nav-item answered flagged"' in page


def test_autosave_rejects_bad_payloads_with_a_reason(attempt, lena_client):
    url = f"/quizzes/attempts/{attempt.pk}/q/1/save/"
    not_json = lena_client.post(url, data="answer=b", content_type="application/json")
    assert (not_json.status_code, not_json.json()) == (
        400,
        {"error": "The request body is not JSON."},
    )
    bad_version = autosave(lena_client, attempt, 1, answer="b", version="new")
    assert bad_version.json() == {"error": "version must be a whole number."}
    nothing = autosave(lena_client, attempt, 1, version=0)
    assert nothing.json() == {"error": "Send an answer or a flag."}
    shape = autosave(lena_client, attempt, 1, answer=[{"a": 1}], version=0)
    assert (shape.status_code, shape.json()["error"]) == (
        400,
        "This answer has the wrong shape: send a letter, a number, a list of letters or a "
        "mapping of item to letter.",
    )
    huge = autosave(lena_client, attempt, 1, answer="a" * 3000, version=0)
    assert huge.json() == {"error": "This answer is too long to be saved."}
    missing = autosave(lena_client, attempt, 9, answer="b", version=0)
    assert missing.status_code == 404
    assert stored(attempt, 1).version == 0


def test_form_post_saves_flags_and_moves_on(attempt, lena_client):
    item = stored(attempt, 1)
    response = lena_client.post(
        f"/quizzes/attempts/{attempt.pk}/q/1/",
        {"answer": wrong_answer(item), "version": "0", "flagged": "1", "go": "next"},
    )
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/q/2/"
    item.refresh_from_db()
    assert (item.answer, item.version, item.flagged) == (wrong_answer(item), 1, True)
    # Unticking the flag on the next post clears it; "review" goes to the review screen.
    response = lena_client.post(
        f"/quizzes/attempts/{attempt.pk}/q/1/",
        {"answer": wrong_answer(item), "version": "1", "go": "review"},
    )
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/review/"
    item.refresh_from_db()
    assert (item.version, item.flagged) == (1, False)


def test_stale_form_post_keeps_the_newer_answer_and_says_so(attempt, lena_client):
    autosave(lena_client, attempt, 1, answer="d", version=0)
    response = lena_client.post(
        f"/quizzes/attempts/{attempt.pk}/q/1/", {"answer": "a", "version": "0", "go": "next"}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "This answer was changed in another tab or window" in page
    assert 'value="d" checked' in page and 'name="version" value="1"' in page
    assert stored(attempt, 1).answer == "d"


def post(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        data.setlist(key.replace("_", "-"), value if isinstance(value, list) else [value])
    return data


def test_form_fields_become_the_contracts_answer_shapes():
    assert answer_from_post({"type": "single"}, post(answer="c")) == "c"
    assert answer_from_post({"type": "multiple"}, post(answer=["a", "d"])) == ["a", "d"]
    assert answer_from_post({"type": "numeric"}, post(answer=" 1,200 ")) == "1,200"
    matching = {"type": "matching", "left": [{"key": "1"}, {"key": "2"}, {"key": "3"}]}
    assert answer_from_post(matching, post(match_1="b", match_3="a")) == {"1": "b", "3": "a"}
    ordering = {"type": "ordering", "items": [{"key": "a"}, {"key": "b"}, {"key": "c"}]}
    assert answer_from_post(ordering, post(rank_a="3", rank_b="1", rank_c="2")) == ["b", "c", "a"]
    with pytest.raises(AnswerFormError, match="different position"):
        answer_from_post(ordering, post(rank_a="1", rank_b="1", rank_c="2"))


def test_a_save_racing_a_submit_never_changes_a_scored_attempt(attempt, learner):
    # The request read the attempt while it was open; the submit lands before its write.
    stale_copy = exams.ExamAttempt.objects.get(pk=attempt.pk)
    exams.submit_attempt(attempt=attempt)
    with pytest.raises(exams.ExamClosed, match="has been submitted"):
        exams.save_answer(attempt=stale_copy, position=1, answer="a", base_version=0)
    assert stored(attempt, 1).answer is None


@pytest.mark.parametrize("answer", ["b", ["a", "c"], {"first": "a", "second": "b"}, 7, 2.5])
def test_the_quick_save_writes_a_changed_answer_once_and_never_the_same_one(
    attempt, learner, learner_session, answer
):
    def quick(version):
        return exams.quick_save_answer(
            user_id=learner.pk,
            session_key=learner_session,
            attempt_pk=attempt.pk,
            position=1,
            answer=answer,
            base_version=version,
        )

    first = quick(0)
    assert (first.answer, first.version, first.changed) == (answer, 1, True)
    # The same answer from the current version matches no row (the stored JSON compares
    # equal on both databases), so nothing is written and the full path says "unchanged".
    assert quick(1) is None
    assert (stored(attempt, 1).answer, stored(attempt, 1).version) == (answer, 1)
    same = exams.save_answer(attempt=attempt, position=1, answer=answer, base_version=1)
    assert (same.version, same.changed) == (1, False)


def test_the_quick_save_leaves_other_learners_stale_tabs_and_closed_attempts_to_the_full_path(
    attempt, learner, other_learner, learner_session
):
    def quick(user, version, answer="b", session_key=learner_session):
        return exams.quick_save_answer(
            user_id=user.pk,
            session_key=session_key,
            attempt_pk=attempt.pk,
            position=1,
            answer=answer,
            base_version=version,
        )

    assert quick(other_learner, 0) is None  # not theirs
    assert quick(learner, 0, session_key="no-such-session") is None  # signed out
    assert quick(learner, 5) is None  # stale version
    assert quick(learner, 0, answer="") is None  # clearing goes the full way
    assert quick(learner, 0, answer=[1, 2]) is None  # malformed: the full path explains
    assert stored(attempt, 1).version == 0
    exams.submit_attempt(attempt=attempt)
    assert quick(learner, 1) is None  # closed (closing re-versioned the item to 1)
    assert (stored(attempt, 1).answer, stored(attempt, 1).version) == (None, 1)


def test_the_page_hands_exam_js_a_token_for_this_attempt_and_session(attempt, lena_client):
    page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/1/").content.decode()
    token = page.split('data-save-token="', 1)[1].split('"', 1)[0]
    session_key = lena_client.cookies[settings.SESSION_COOKIE_NAME].value
    assert exams.read_autosave_token(token, attempt_pk=attempt.pk, session_key=session_key) == (
        attempt.user_id
    )
    # Bound to its attempt and its session, and to our key.
    assert (
        exams.read_autosave_token(token, attempt_pk=attempt.pk + 1, session_key=session_key) is None
    )
    assert exams.read_autosave_token(token, attempt_pk=attempt.pk, session_key="other") is None
    assert (
        exams.read_autosave_token(token[:-2] + "xx", attempt_pk=attempt.pk, session_key=session_key)
        is None
    )


def test_a_token_stops_working_when_its_learner_signs_out(attempt, lena_client):
    headers = token_header(lena_client, attempt)
    saved = autosave(lena_client, attempt, 1, answer="a", version=0, headers=headers)
    assert (saved.status_code, saved.json()["version"]) == (200, 1)
    session_cookie = lena_client.cookies[settings.SESSION_COOKIE_NAME].value
    lena_client.post("/accounts/logout/")
    # The same browser cookie and token, replayed after signing out.
    lena_client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
    replay = autosave(lena_client, attempt, 1, answer="b", version=1, headers=headers)
    assert replay.status_code == 302
    assert replay["Location"].startswith("/accounts/login/")
    assert (stored(attempt, 1).answer, stored(attempt, 1).version) == ("a", 1)


def test_a_token_for_someone_elses_session_is_no_key_to_their_attempt(
    attempt, lena_client, omar_client
):
    # Lena's token, sent with Omar's session cookie: the token names Lena's session.
    response = autosave(
        omar_client, attempt, 1, answer="a", version=0, headers=token_header(lena_client, attempt)
    )
    assert response.status_code == 404
    assert stored(attempt, 1).answer is None
