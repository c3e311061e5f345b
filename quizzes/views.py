"""Learner pages: practice and exam simulation.

While a question or an attempt is open, templates and JSON get only `Variant.public()` data
(through quizzes.rendering.question_context); the key and explanations reach a page only
after the practice question was answered or the attempt was closed. Every question shown
is rebuilt from the snapshot stored when it was drawn (`item.variant()`), never from the
live Question, so later edits change no page of a past attempt.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.models import Lesson
from quizzes import exams, practice
from quizzes.grading import grade
from quizzes.models import AttemptItem, Exam, ExamAttempt
from quizzes.rendering import (
    AnswerFormError,
    answer_from_post,
    feedback_context,
    markdown_html,
    question_context,
)
from quizzes.spec import DOMAINS
from quizzes.variants import VariantError

# --- home and practice ----------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    attempts = list(
        ExamAttempt.objects.filter(user=request.user)
        .select_related("exam")
        .order_by("-started_at")[:20]
    )
    return render(
        request,
        "quizzes/home.html",
        {
            "exams": Exam.objects.filter(is_active=True),
            "attempts": attempts,
            # "Start" resumes a running attempt (exams.start_or_resume): say so on the button.
            "running": {a.exam_id for a in attempts if a.is_open},
        },
    )


@require_GET
@login_required
def practice_start(request: HttpRequest) -> HttpResponse:
    lesson = None
    if request.GET.get("lesson"):
        lesson = get_object_or_404(Lesson, slug=request.GET["lesson"])
    return render(
        request,
        "quizzes/practice_start.html",
        {"domains": DOMAINS, "lesson": lesson, "chosen": request.GET.getlist("domain")},
    )


@require_POST
@login_required
def practice_next(request: HttpRequest) -> HttpResponse:
    try:
        scope = practice.Scope.parse(
            domains=request.POST.getlist("domain"), lesson=request.POST.get("lesson", "")
        )
        question = practice.draw_question(user=request.user, scope=scope)
    except practice.PracticeError as exc:
        messages.error(request, str(exc))
        lesson = request.POST.get("lesson", "")
        back = reverse("quizzes:practice")
        return redirect(f"{back}?{urlencode({'lesson': lesson})}" if lesson else back)
    return redirect(question)


@require_http_methods(["GET", "POST"])
@login_required
def practice_question(request: HttpRequest, pk: int) -> HttpResponse:
    item = practice.get_practice_for_user(user=request.user, pk=pk)
    try:
        variant = item.variant()
    except VariantError:
        return _replace_broken_practice(request, item)
    public = variant.public()
    error = ""
    answer: Any = None
    if request.method == "POST" and not item.is_answered:
        try:
            answer = answer_from_post(public, request.POST)
            practice.submit_answer(practice=item, answer=answer)
        except (AnswerFormError, practice.PracticeError) as exc:
            error = str(exc)
        else:
            return redirect(item)
    scope = practice.Scope.from_json(item.scope)
    context = {
        "item": item,
        "scope": scope,
        "scope_label": scope.describe(),
        "domain_label": DOMAINS.get(variant.spec.domain, variant.spec.domain),
        "difficulty": variant.spec.difficulty.capitalize(),
        "error": error,
    }
    if item.is_answered:
        context["question"] = question_context(public, item.answer)
        context.update(feedback_context(practice.feedback(practice=item), item.spec))
    else:
        context["question"] = question_context(public, answer)
    return render(request, "quizzes/practice_question.html", context, status=400 if error else 200)


def _replace_broken_practice(request: HttpRequest, item) -> HttpResponse:
    """A practice question that cannot be shown any more: draw another in the same scope
    (the service logs the broken one) instead of failing the page."""
    try:
        fresh = practice.replace_broken(practice=item)
    except practice.PracticeError as exc:
        messages.error(request, str(exc))
        return redirect("quizzes:practice")
    if fresh is None:
        messages.error(request, "That practice question can no longer be shown.")
        return redirect("quizzes:practice")
    messages.warning(request, "That question could not be shown, so here is another one.")
    return redirect(fresh)


# --- exam simulation ---------------------------------------------------------------------


@require_POST
@login_required
def exam_start(request: HttpRequest, slug: str) -> HttpResponse:
    exam = get_object_or_404(Exam, slug=slug, is_active=True)
    try:
        attempt = exams.start_or_resume(user=request.user, exam=exam)
    except exams.ExamError as exc:
        messages.error(request, str(exc))
        return redirect("quizzes:home")
    return redirect("quizzes:attempt", pk=attempt.pk)


@require_GET
@login_required
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    if not found.is_open:
        return redirect("quizzes:attempt_result", pk=found.pk)
    first_open = (
        found.items.filter(answer__isnull=True)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )
    return redirect("quizzes:attempt_question", pk=found.pk, position=first_open or 1)


def _clock(found: ExamAttempt) -> dict:
    seconds = exams.remaining_seconds(attempt=found)
    return {
        "remaining_seconds": seconds,
        "remaining_minutes": (seconds + 59) // 60,
        "deadline": found.deadline.isoformat(),
    }


def _nav(found: ExamAttempt) -> list[dict]:
    # One query for the whole attempt: positions with answered/flagged and whether the
    # question could be built (a `generated` snapshot: not scored), no question text.
    return [
        {
            "position": position,
            "answered": answer is not None,
            "flagged": flagged,
            "unbuilt": kind == "generated",
        }
        for position, answer, flagged, kind in found.items.order_by("position").values_list(
            "position", "answer", "flagged", "spec__type"
        )
    ]


@require_http_methods(["GET", "POST"])
@login_required
def attempt_question(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    if not found.is_open:
        if request.method == "POST":
            messages.error(request, exams.closed_reason(found))
        return redirect("quizzes:attempt_result", pk=found.pk)
    item = get_object_or_404(AttemptItem, attempt=found, position=position)
    try:
        public = item.variant().public()
    except VariantError:
        # Left out of the score by exams.close_attempt; the page says so instead of failing.
        public = None
    error = ""
    if request.method == "POST":
        error = _save_from_form(request, found, item, public) if public else ""
        if not error:
            return _after_form_save(request, found, position)
        item.refresh_from_db()
        found.refresh_from_db()
        if not found.is_open:
            messages.error(request, error)
            return redirect("quizzes:attempt_result", pk=found.pk)
    nav = _nav(found)
    return render(
        request,
        "quizzes/attempt_question.html",
        {
            "attempt": found,
            "item": item,
            "question": question_context(public, item.answer) if public else None,
            "nav": nav,
            "total": len(nav),
            "previous": position - 1 if position > 1 else None,
            "next": position + 1 if position < len(nav) else None,
            "clock": _clock(found),
            "error": error,
            "save_token": exams.autosave_token(
                attempt=found, session_key=request.session.session_key
            ),
        },
        status=409 if error else 200,
    )


def _save_from_form(request, found: ExamAttempt, item: AttemptItem, public: dict) -> str:
    """Save a no-JS form post; returns the message to show, or "" when saved."""
    try:
        answer = answer_from_post(public, request.POST)
        version = request.POST.get("version", "")
        exams.save_answer(
            attempt=found,
            position=item.position,
            answer=answer,
            base_version=int(version) if version.isascii() and version.isdigit() else None,
        )
        # The flag checkbox is on every question form, so its absence means "not flagged".
        exams.set_flag(
            attempt=found, position=item.position, flagged=request.POST.get("flagged") == "1"
        )
    except (AnswerFormError, exams.ExamError) as exc:
        return str(exc)
    return ""


def _after_form_save(request, found: ExamAttempt, position: int) -> HttpResponse:
    go = request.POST.get("go", "")
    if go == "review":
        return redirect("quizzes:attempt_review", pk=found.pk)
    if go == "next":
        position = min(position + 1, found.question_count)
    elif go == "previous":
        position = max(position - 1, 1)
    elif go.isascii() and go.isdigit():
        position = min(max(int(go), 1), found.question_count)
    return redirect("quizzes:attempt_question", pk=found.pk, position=position)


@require_POST
def attempt_save(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """Autosave (static/js/exam.js): JSON {answer?, version, flagged?} -> the stored state.
    The common case goes through one statement authorised by the page's autosave token;
    everything else through the full path below."""
    quick = _quick_save(request, pk, position)
    if quick is not None:
        return quick
    return _attempt_save(request, pk, position)


@login_required
def _attempt_save(request: HttpRequest, pk: int, position: int) -> JsonResponse:
    """409 with the stored answer when the write is stale; 403 once the time is up."""
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": "The request body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "Send a JSON object."}, status=400)
    version = payload.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        return JsonResponse({"error": "version must be a whole number."}, status=400)
    try:
        result = None
        if "answer" in payload:
            result = exams.save_answer(
                attempt=found, position=position, answer=payload["answer"], base_version=version
            )
        if "flagged" in payload:
            result = exams.set_flag(
                attempt=found, position=position, flagged=bool(payload["flagged"])
            )
        if result is None:
            return JsonResponse({"error": "Send an answer or a flag."}, status=400)
    except exams.StaleAnswer as exc:
        return JsonResponse(
            {
                "error": str(exc),
                "answer": exc.item.answer,
                "version": exc.item.version,
                **_clock(found),
            },
            status=409,
        )
    except exams.BadAnswer as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except exams.ExamClosed as exc:
        return JsonResponse(
            {
                "error": str(exc),
                "closed": True,
                "result_url": reverse("quizzes:attempt_result", kwargs={"pk": found.pk}),
            },
            status=403,
        )
    return JsonResponse(
        {
            "saved": True,
            "position": result.position,
            "answer": result.answer,
            "version": result.version,
            "flagged": result.flagged,
            **_clock(found),
        }
    )


def _quick_save(request: HttpRequest, pk: int, position: int) -> JsonResponse | None:
    """The common autosave in one statement (exams.quick_save_answer); None sends the request
    down the full path, which gives every other outcome (login, 404, 403, 409, 400,
    unchanged). Neither the session nor the user is loaded here: the token and the
    statement's own conditions authorise the write."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    user_id = exams.read_autosave_token(
        request.headers.get("X-Autosave-Token", ""), attempt_pk=pk, session_key=session_key
    )
    if user_id is None:
        return None
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(payload, dict) or payload.keys() != {"answer", "version"}:
        return None
    version = payload["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    saved = exams.quick_save_answer(
        user_id=user_id,
        session_key=session_key,
        attempt_pk=pk,
        position=position,
        answer=payload["answer"],
        base_version=version,
    )
    if saved is None:
        return None
    # No flag and no clock: neither was read. exam.js keeps its flag and its own countdown
    # (synchronised by the clock endpoint) when they are absent.
    return JsonResponse(
        {
            "saved": True,
            "position": saved.position,
            "answer": saved.answer,
            "version": saved.version,
        }
    )


@require_GET
@login_required
def attempt_clock(request: HttpRequest, pk: int) -> JsonResponse:
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    return JsonResponse({"open": found.is_open, **_clock(found)})


@require_GET
@login_required
def attempt_review(request: HttpRequest, pk: int) -> HttpResponse:
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    if not found.is_open:
        return redirect("quizzes:attempt_result", pk=found.pk)
    nav = _nav(found)
    return render(
        request,
        "quizzes/attempt_review.html",
        {
            "attempt": found,
            "nav": nav,
            "answered": [n for n in nav if n["answered"]],
            "unanswered": [n for n in nav if not n["answered"] and not n["unbuilt"]],
            "unbuilt": [n for n in nav if n["unbuilt"]],
            "flagged": [n for n in nav if n["flagged"]],
            "clock": _clock(found),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def attempt_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (works without JS); POST submits."""
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    if not found.is_open:
        return redirect("quizzes:attempt_result", pk=found.pk)
    if request.method == "POST":
        exams.submit_attempt(attempt=found)
        return redirect("quizzes:attempt_result", pk=found.pk)
    nav = _nav(found)
    return render(
        request,
        "quizzes/attempt_submit.html",
        {
            "attempt": found,
            "unanswered": sum(not n["answered"] and not n["unbuilt"] for n in nav),
            "flagged": sum(n["flagged"] for n in nav),
            "clock": _clock(found),
        },
    )


@require_GET
@login_required
def attempt_result(request: HttpRequest, pk: int) -> HttpResponse:
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    if found.is_open:
        return redirect("quizzes:attempt_question", pk=found.pk, position=1)
    titles = dict(Lesson.objects.values_list("slug", "title"))
    review = []
    for item in found.items.all():
        row = {"item": item, "domain_label": DOMAINS.get(item.domain, item.domain)}
        try:
            variant = item.variant()
        except VariantError:
            review.append({**row, "unbuilt": True})
            continue
        review.append(
            {
                **row,
                "stem_html": markdown_html(variant.stem),
                "unit": variant.unit,
                **feedback_context(grade(variant, item.answer), item.spec, titles),
            }
        )
    unscored = sum(1 for row in review if row.get("unbuilt"))
    breakdown = [
        {**row, "percent": round(100 * row["correct"] / row["total"]) if row["total"] else 0}
        for row in found.breakdown
    ]
    return render(
        request,
        "quizzes/attempt_result.html",
        {
            "attempt": found,
            "review": review,
            "breakdown": breakdown,
            "unscored": unscored,
            "scored": found.question_count - unscored,
        },
    )
