"""Exam simulation: drawing an attempt to the blueprint, the server-side clock, autosave,
closing and scoring.

The deadline lives here, never in the browser: every write compares the server's clock with
`attempt.deadline + GRACE`, and any access to an attempt past that point closes and scores
it first (`get_attempt_for_user`), as does the periodic task `close_expired_attempts`.
"""

from __future__ import annotations

import json
import logging
import math
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from quizzes.grading import grade
from quizzes.models import AttemptItem, Exam, ExamAttempt, Question
from quizzes.spec import DOMAINS, blueprint_counts
from quizzes.variants import VariantError, load_facts, variant_for

logger = logging.getLogger(__name__)

# Answers that were on their way when the clock ran out (slow network, a click in the last
# second) are still taken for this long after the deadline.
GRACE = timedelta(seconds=30)
LOWEST_SCORE = 100
HIGHEST_SCORE = 1000


class ExamError(Exception):
    """A request the exam rules refuse; the message is shown to the learner as is."""


class ExamClosed(ExamError):
    pass


class StaleAnswer(ExamError):
    """The answer changed (in another tab) since the writer loaded it; nothing was written."""

    def __init__(self, item: AttemptItem) -> None:
        super().__init__(
            "This answer was changed in another tab or window since this page loaded; "
            "the newer answer is kept."
        )
        self.item = item


# --- Scaling ---------------------------------------------------------------------------


def scaled_score(*, correct: int, total: int, pass_fraction: float | str, pass_mark: int) -> int:
    """Map the fraction correct f to 100..1000, piecewise linear through (p, pass_mark):
    f=0 -> 100, f=p -> pass_mark, f=1 -> 1000, rounded half up. Exact arithmetic (Fraction),
    so 47/65 never lands on the wrong side of a rounding edge by float error."""
    if total <= 0:
        return LOWEST_SCORE
    f = Fraction(correct, total)
    p = Fraction(str(pass_fraction))
    if not 0 < p < 1:
        raise ValueError(f"pass fraction must be between 0 and 1, got {pass_fraction}")
    if f <= p:
        value = LOWEST_SCORE + (pass_mark - LOWEST_SCORE) * f / p
    else:
        value = pass_mark + (HIGHEST_SCORE - pass_mark) * (f - p) / (1 - p)
    return int(value + Fraction(1, 2))  # floor(x + 1/2): half up, unlike round()'s half even


# --- Drawing an attempt ------------------------------------------------------------------


def draw_counts(
    *, blueprint: dict[str, float], total: int, available: dict[str, int]
) -> dict[str, int]:
    """How many questions each domain gets: `total` split in proportion to the weights with
    largest-remainder rounding (quizzes.spec.blueprint_counts). A domain with fewer
    questions than its share gives them all, and its shortfall is split the same way over
    the domains that still have questions left."""
    counts = {domain: 0 for domain in blueprint}
    open_domains = [d for d, w in blueprint.items() if w > 0 and available.get(d, 0) > 0]
    remaining = total
    while remaining > 0 and open_domains:
        share = blueprint_counts({d: blueprint[d] for d in open_domains}, remaining)
        for d in open_domains:
            counts[d] += min(share[d], available[d] - counts[d])
        remaining = total - sum(counts.values())
        open_domains = [d for d in open_domains if counts[d] < available[d]]
    return counts


def start_attempt(
    *, user: User, exam: Exam, now: datetime | None = None, seed: int | None = None
) -> ExamAttempt:
    """Draw a new attempt: questions to the blueprint, shuffled, each with its own seed and
    stored option order. Side effects: one ExamAttempt and its AttemptItems.
    Raises ExamError when the bank cannot fill the exam."""
    now = now or timezone.now()
    seed = secrets.randbits(48) if seed is None else seed
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    blueprint = dict(exam.blueprint or {})
    pool = Question.objects.filter(is_active=True)
    if blueprint:
        pool = pool.filter(domain__in=list(blueprint))
    by_domain: dict[str, list[int]] = {}
    for pk, domain in pool.order_by("pk").values_list("pk", "domain"):
        by_domain.setdefault(domain, []).append(pk)
    if not blueprint:
        blueprint = {d: 1 for d in sorted(by_domain)}
    counts = draw_counts(
        blueprint=blueprint,
        total=exam.question_count,
        available={d: len(ids) for d, ids in by_domain.items()},
    )
    drawn = sum(counts.values())
    if drawn < exam.question_count:
        raise ExamError(
            f"The question bank has only {drawn} active questions in this exam's domains; "
            f"it needs {exam.question_count}."
        )
    picked: list[int] = []
    for domain, count in counts.items():
        picked.extend(rng.sample(by_domain.get(domain, []), count))
    rng.shuffle(picked)
    # Only what variant_for reads; facts once, and only when a generated question is drawn.
    questions = Question.objects.only("id", "spec").in_bulk(picked)
    generated = any(q.spec.get("type") == "generated" for q in questions.values())
    facts = load_facts() if generated else {}
    with transaction.atomic():
        attempt = ExamAttempt(
            user=user,
            exam=exam,
            seed=seed,
            started_at=now,
            deadline=now + timedelta(minutes=exam.minutes),
            pass_mark=exam.pass_mark,
            pass_fraction=exam.passing_fraction,
            question_count=len(picked),
        )
        # The user and exam were passed in as objects: no need to re-query that they exist.
        attempt.full_clean(exclude=["user", "exam"])
        attempt.save()
        items = []
        for position, pk in enumerate(picked, start=1):
            item_seed = rng.getrandbits(31)
            items.append(
                _snapshot_item(attempt, position, questions[pk], item_seed, facts, exam.slug)
            )
        AttemptItem.objects.bulk_create(items)
    logger.info("exam attempt %s started: %s questions", attempt.pk, len(picked))
    return attempt


def start_or_resume(*, user: User, exam: Exam, now: datetime | None = None) -> ExamAttempt:
    """The learner's running attempt at this exam, or a new one: a double click on "Start"
    or a second tab never opens a second attempt. An open attempt already past its deadline
    and grace is closed and scored first. Side effects: see start_attempt, close_attempt."""
    now = now or timezone.now()
    for running in ExamAttempt.objects.filter(user=user, exam=exam, status=ExamAttempt.Status.OPEN):
        if now <= running.deadline + GRACE:
            return running
        close_attempt(attempt=running, status=ExamAttempt.Status.EXPIRED, now=now)
    # One exam at a time: a second attempt would let the learner read a submitted attempt's
    # key (its result page) while the first, which may share questions, is still open.
    for other in (
        ExamAttempt.objects.filter(user=user, status=ExamAttempt.Status.OPEN)
        .exclude(exam=exam)
        .select_related("exam")
    ):
        if now <= other.deadline + GRACE:
            raise ExamError(
                f"You have an exam in progress ({other.exam.title}); submit it or let its "
                "time run out before starting another."
            )
        close_attempt(attempt=other, status=ExamAttempt.Status.EXPIRED, now=now)
    return start_attempt(user=user, exam=exam, now=now)


def _snapshot_item(
    attempt: ExamAttempt, position: int, question: Question, seed: int, facts, exam_slug: str
) -> AttemptItem:
    """An attempt item holding the question as drawn (see quizzes.models.attempts). A
    generator that fails here does not sink the whole draw: the item keeps the question's
    own spec (type `generated`), its page says it could not be built, and it is left out of
    the score (docs/QUIZZES.md, "A question that cannot be built")."""
    try:
        variant = variant_for(question, seed, facts=facts)
    except VariantError as exc:
        logger.error("exam %s, attempt %s, #%s: %s", exam_slug, attempt.pk, position, exc)
        snapshot, order = dict(question.spec), {}
    else:
        snapshot, order = variant.spec.to_dict(), variant.display_order()
    return AttemptItem(
        attempt=attempt,
        position=position,
        question_id=question.pk,
        seed=seed,
        spec=snapshot,
        choice_order=order,
    )


# --- Fetching and the clock --------------------------------------------------------------


def get_attempt_for_user(*, user: User, pk: int, now: datetime | None = None) -> ExamAttempt:
    """The one way views fetch an attempt: only its owner sees it (404 for anyone else), and
    an attempt left open past its deadline and grace is closed and scored first."""
    if not user.is_authenticated:
        raise Http404("No attempt")
    try:
        attempt = ExamAttempt.objects.select_related("exam").get(pk=pk, user=user)
    except ExamAttempt.DoesNotExist:
        raise Http404("No such attempt") from None
    now = now or timezone.now()
    if attempt.is_open and now > attempt.deadline + GRACE:
        close_attempt(attempt=attempt, status=ExamAttempt.Status.EXPIRED, now=now)
        attempt.refresh_from_db()
    return attempt


def remaining_seconds(*, attempt: ExamAttempt, now: datetime | None = None) -> int:
    """Whole seconds left until the deadline (0 once it has passed)."""
    now = now or timezone.now()
    return max(0, int((attempt.deadline - now).total_seconds()))


TIME_IS_UP = (
    "Time is up: the exam's deadline has passed, so this answer was not saved. "
    "The attempt has been closed and scored."
)


def closed_reason(attempt: ExamAttempt) -> str:
    """Why a closed attempt refuses answers, in the learner's words."""
    if attempt.status == ExamAttempt.Status.EXPIRED:
        return TIME_IS_UP
    return "This attempt has been submitted; answers can no longer change."


def _check_writable(attempt: ExamAttempt, now: datetime) -> None:
    if attempt.is_open and now > attempt.deadline + GRACE:
        raise ExamClosed(TIME_IS_UP)
    if not attempt.is_open:
        raise ExamClosed(closed_reason(attempt))


def _get_item(attempt: ExamAttempt, position: int) -> AttemptItem:
    try:
        return AttemptItem.objects.get(attempt=attempt, position=position)
    except AttemptItem.DoesNotExist:
        raise Http404("No such question in this attempt") from None


@dataclass
class SaveResult:
    position: int
    answer: Any
    version: int
    flagged: bool | None  # None: not read (quick_save_answer), so the page keeps its own
    changed: bool


# The quick autosave (quick_save_answer) is authorised by a token the question page hands
# to exam.js: signed by us, naming the attempt, its learner and the browser session it was
# issued to. The statement itself then checks that this session still exists (signing out
# deletes it), that the attempt is that learner's and open, and the version: the request
# never loads the session or the user, which is most of what an autosave would otherwise
# cost at a deadline (BENCHMARKS.md "Load").
_TOKEN_SALT = "quizzes.exams.autosave"  # noqa: S105 - a signing namespace, not a secret
_TOKEN_MAX_AGE = timedelta(hours=12)  # longer than any exam; the deadline is checked anyway


def autosave_token(*, attempt: ExamAttempt, session_key: str | None) -> str:
    """The token the question page gives exam.js for this attempt in this session ("" when
    the session has no key yet, and exam.js then takes the full path)."""
    if not session_key:
        return ""
    value = f"{attempt.pk}:{attempt.user_id}:{session_key}"
    return signing.TimestampSigner(salt=_TOKEN_SALT).sign(value)


def read_autosave_token(token: str, *, attempt_pk: int, session_key: str | None) -> int | None:
    """The learner's user id if `token` is ours, unexpired, and was issued for this attempt
    and this session; None otherwise."""
    if not token or not session_key:
        return None
    try:
        value = signing.TimestampSigner(salt=_TOKEN_SALT).unsign(token, max_age=_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    attempt, user, session = value.split(":", 2)
    if attempt != str(attempt_pk) or session != session_key:
        return None
    return int(user)


# Written out rather than built with the ORM: compiling the equivalent queryset costs about
# 1 ms of CPU per request, the statement itself about 0.1 ms. The parameters go through the
# backend's own adapters, so one text serves SQLite and PostgreSQL.
_QUICK_SAVE_SQL = """
UPDATE {item} SET answer = %s, version = version + 1, answered_at = %s
 WHERE attempt_id = %s AND position = %s AND version = %s
   AND (answer IS NULL OR answer <> %s)
   AND EXISTS (SELECT 1 FROM {attempt} a
                WHERE a.id = {item}.attempt_id AND a.user_id = %s
                  AND a.status = %s AND a.deadline >= %s)
   AND EXISTS (SELECT 1 FROM {session} s WHERE s.session_key = %s AND s.expire_date > %s)
"""


def quick_save_answer(
    *,
    user_id: int,
    session_key: str,
    attempt_pk: int,
    position: int,
    answer: Any,
    base_version: int,
    now: datetime | None = None,
) -> SaveResult | None:
    """The common autosave, a changed answer on the learner's open attempt from a tab that
    holds the current version, as one conditional UPDATE; None when anything else is the
    case (someone else's attempt, closed or past the deadline, a stale version, the same
    answer, a cleared or malformed answer, a session that is gone), and then the full path
    (save_answer behind login_required) gives the exact outcome.

    `user_id` and `session_key` come from a token read by read_autosave_token. The session
    must still be stored (in the database: our session engines write every session there),
    so a token stops working when its learner signs out.

    Safe against close_attempt: the conditions on the attempt sit in an EXISTS and the
    version condition on the item row itself, and close_attempt locks every item and bumps
    its version before scoring. On PostgreSQL an UPDATE that waited for that lock re-checks
    the item row, finds a new version and matches nothing; one that got in first commits
    before close_attempt reads the items, so it is scored. (SQLite runs one writer at a
    time, so the two never interleave there.)
    Side effects: at most one AttemptItem update."""
    try:
        answer = _normalise(answer)
    except BadAnswer:
        return None
    if answer is None:
        return None
    now = now or timezone.now()
    ops = connection.ops
    stored = ops.adapt_json_value(answer, None)
    sql = _QUICK_SAVE_SQL.format(
        item=AttemptItem._meta.db_table,
        attempt=ExamAttempt._meta.db_table,
        session=Session._meta.db_table,
    )
    params = [
        stored,
        ops.adapt_datetimefield_value(now),
        attempt_pk,
        position,
        base_version,
        stored,
        user_id,
        ExamAttempt.Status.OPEN.value,
        ops.adapt_datetimefield_value(now - GRACE),
        session_key,
        ops.adapt_datetimefield_value(now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if updated != 1:
        return None
    return SaveResult(position, answer, base_version + 1, flagged=None, changed=True)


def save_answer(
    *,
    attempt: ExamAttempt,
    position: int,
    answer: Any,
    base_version: int | None,
    now: datetime | None = None,
) -> SaveResult:
    """Store the learner's answer for one question.

    Idempotent: writing the answer already stored changes nothing (same row, same version),
    which also makes a retried request harmless. Stale writes are refused: `base_version`
    is the version the writer last saw; if the stored answer has moved on since (another tab
    saved a newer answer) and differs from this one, StaleAnswer is raised and the newer
    answer stays. `base_version=None` skips the check (not used by our pages).
    Past the deadline plus grace, ExamClosed is raised and the attempt is closed and scored.
    Side effects: at most one AttemptItem update (conditional on the version).
    """
    now = now or timezone.now()
    try:
        _check_writable(attempt, now)
    except ExamClosed:
        if attempt.is_open:
            close_attempt(attempt=attempt, status=ExamAttempt.Status.EXPIRED, now=now)
        raise
    answer = _normalise(answer)  # raises BadAnswer before anything is read or written
    item = _get_item(attempt, position)
    if item.answer == answer:
        return SaveResult(position, item.answer, item.version, item.flagged, changed=False)
    if base_version is not None and base_version != item.version:
        # Closing bumps every item's version: a tab that is behind because the attempt was
        # closed under it hears that, not that another tab answered.
        attempt.refresh_from_db(fields=["status"])
        if not attempt.is_open:
            raise ExamClosed(closed_reason(attempt))
        raise StaleAnswer(item)
    with transaction.atomic():
        # Locking the open attempt row serialises this write with close_attempt, which
        # updates that row before it scores: a save lands either before scoring starts or
        # not at all, never stored but unscored.
        still_open = (
            ExamAttempt.objects.select_for_update()
            .filter(pk=attempt.pk, status=ExamAttempt.Status.OPEN)
            .exists()
        )
        # Conditional on the version read above: of two racing writers only one wins.
        updated = still_open and AttemptItem.objects.filter(
            pk=item.pk, version=item.version
        ).update(
            answer=answer,
            version=item.version + 1,
            answered_at=now if answer is not None else None,
        )
    if not updated:
        attempt.refresh_from_db(fields=["status"])
        if not attempt.is_open:
            raise ExamClosed(closed_reason(attempt))
        item.refresh_from_db()
        if item.answer == answer:
            return SaveResult(position, item.answer, item.version, item.flagged, changed=False)
        raise StaleAnswer(item)
    return SaveResult(position, answer, item.version + 1, item.flagged, changed=True)


def set_flag(
    *, attempt: ExamAttempt, position: int, flagged: bool, now: datetime | None = None
) -> SaveResult:
    """Flag or unflag a question for review (setting a value, so repeats are harmless).
    Side effects: at most one AttemptItem update."""
    now = now or timezone.now()
    _check_writable(attempt, now)
    item = _get_item(attempt, position)
    if item.flagged != flagged:
        AttemptItem.objects.filter(pk=item.pk).update(flagged=flagged)
    return SaveResult(position, item.answer, item.version, flagged, changed=item.flagged != flagged)


MAX_ANSWER_JSON = 2000


class BadAnswer(ExamError):
    """An answer that cannot be one of the contract's shapes; nothing was stored."""


def _normalise(answer: Any) -> Any:
    """Empty answers are stored as no answer, so clearing a choice un-answers the question.
    Only the contract's shapes are stored (text or number, a list of texts, a mapping of
    text to text) and only up to a size no real answer reaches; whether the content fits the
    question (known keys, right count) is the grader's business at scoring time, because a
    half-given answer ("choose two", one ticked so far) is a normal state while answering."""
    text_list = isinstance(answer, list) and all(isinstance(v, str) for v in answer)
    text_map = isinstance(answer, dict) and all(
        isinstance(v, str | type(None)) for v in answer.values()
    )
    scalar = isinstance(answer, str | int | float) and not isinstance(answer, bool)
    if isinstance(answer, float) and not math.isfinite(answer):
        # json.loads accepts NaN and Infinity, which no JSON column can store.
        raise BadAnswer("This answer is not a number we can store: send digits.")
    if not (answer is None or scalar or text_list or text_map):
        raise BadAnswer(
            "This answer has the wrong shape: send a letter, a number, a list of letters or "
            "a mapping of item to letter."
        )
    if len(json.dumps(answer)) > MAX_ANSWER_JSON:
        raise BadAnswer("This answer is too long to be saved.")
    if answer in ("", [], {}):
        return None
    if isinstance(answer, str):
        answer = answer.strip()
        return answer or None
    if isinstance(answer, dict):
        answer = {k: v for k, v in answer.items() if v not in (None, "")}
        return answer or None
    return answer


# --- Closing and scoring -----------------------------------------------------------------


def submit_attempt(*, attempt: ExamAttempt, now: datetime | None = None) -> ExamAttempt:
    """The learner submits: close and score now (within the grace too). Submitting twice is
    harmless. Side effects: see close_attempt."""
    now = now or timezone.now()
    if attempt.is_open:
        expired = now > attempt.deadline + GRACE
        status = ExamAttempt.Status.EXPIRED if expired else ExamAttempt.Status.SUBMITTED
        close_attempt(attempt=attempt, status=status, now=now)
    attempt.refresh_from_db()
    return attempt


def close_attempt(*, attempt: ExamAttempt, status: str, now: datetime) -> bool:
    """Close an open attempt and score it; False when someone else closed it first.

    The status change is a conditional update inside the scoring transaction, so a request
    and the periodic task racing on the same attempt score it exactly once.
    Side effects: the attempt's status, scores and breakdown; every item's `correct`.
    """
    with transaction.atomic():
        closed = ExamAttempt.objects.filter(pk=attempt.pk, status=ExamAttempt.Status.OPEN).update(
            status=status, closed_at=now
        )
        if not closed:
            return False
        # Locked, then read: an autosave mid-flight commits first and is scored; one that
        # comes after waits, and the version bump below makes it match nothing (see
        # quick_save_answer).
        items = list(attempt.items.select_for_update())
        per_domain: dict[str, Counter] = {}
        correct_total = 0
        for item in items:
            try:
                result = grade(item.variant(), item.answer)
            except VariantError:
                # A question that could not be built is not the learner's fault: it is left
                # out of the score (correct stays None) rather than counted wrong.
                logger.warning("attempt %s item %s: not scored", attempt.pk, item.position)
                item.correct = None
                continue
            item.correct = bool(result.correct) if item.is_answered else False
            correct_total += item.correct
            tally = per_domain.setdefault(item.domain, Counter())
            tally["total"] += 1
            tally["correct"] += item.correct
        for item in items:
            item.version += 1
        AttemptItem.objects.bulk_update(items, ["correct", "version"])
        total = sum(tally["total"] for tally in per_domain.values())
        scaled = scaled_score(
            correct=correct_total,
            total=total,
            pass_fraction=attempt.pass_fraction,
            pass_mark=attempt.pass_mark,
        )
        ExamAttempt.objects.filter(pk=attempt.pk).update(
            correct_count=correct_total,
            scaled_score=scaled,
            passed=scaled >= attempt.pass_mark,
            breakdown=[
                {
                    "domain": domain,
                    "label": DOMAINS.get(domain, domain),
                    "correct": tally["correct"],
                    "total": tally["total"],
                }
                for domain, tally in sorted(
                    per_domain.items(), key=lambda kv: DOMAINS.get(kv[0], kv[0])
                )
            ],
        )
    logger.info("exam attempt %s closed (%s): %s/%s", attempt.pk, status, correct_total, total)
    return True


def close_expired_attempts(*, now: datetime | None = None) -> int:
    """Close and score every open attempt past its deadline and grace; returns how many.
    Side effects: see close_attempt, per attempt."""
    now = now or timezone.now()
    expired = ExamAttempt.objects.filter(
        status=ExamAttempt.Status.OPEN, deadline__lt=now - GRACE
    ).order_by("pk")
    return sum(
        close_attempt(attempt=attempt, status=ExamAttempt.Status.EXPIRED, now=now)
        for attempt in expired
    )
