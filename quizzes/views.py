"""Learner pages: practice and exam simulation.

While a question or an attempt is open, templates and JSON get only `Variant.public()` data
(through `question_context`); the key and explanations reach a page only after the
practice question was answered or the attempt was closed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import nh3
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from markdown_it import MarkdownIt

from courses.models import Lesson
from quizzes import exams, practice
from quizzes.grading import GradeResult, choose_text, grade
from quizzes.models import AttemptItem, Exam, ExamAttempt, Question
from quizzes.spec import DOMAINS
from quizzes.variants import load_facts, variant_for

# --- rendering question text ---------------------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})
_TAGS = {"p", "code", "strong", "em", "ul", "ol", "li", "pre", "br"}


def markdown_html(text: str) -> str:
    """Stem Markdown (paragraphs, `code`, **bold**, lists) as sanitised HTML; raw HTML in
    the text is escaped by markdown-it and anything else is stripped by nh3."""
    return nh3.clean(_markdown.render(text or ""), tags=_TAGS, attributes={})


def inline_html(text: str) -> str:
    """Option text: inline Markdown only (`code`, **bold**)."""
    return nh3.clean(_markdown.renderInline(text or ""), tags=_TAGS, attributes={})


class AnswerFormError(ValueError):
    """The submitted form cannot be turned into an answer; the message is for the learner."""


def question_context(public: dict, answer: Any = None) -> dict:
    """What _question.html renders: the public variant with rendered text and the learner's
    current answer marked on the inputs. Built only from `Variant.public()`."""
    q: dict = {
        "type": public["type"],
        "stem_html": markdown_html(public.get("stem", "")),
        "unit": public.get("unit", ""),
    }
    if public["type"] in ("single", "multiple"):
        picked = set(answer) if isinstance(answer, list) else {answer}
        q["choose"] = public["choose"]
        q["choose_text"] = choose_text(public["choose"]) if public["type"] == "multiple" else ""
        q["choices"] = [
            {"key": c["key"], "html": inline_html(c["text"]), "checked": c["key"] in picked}
            for c in public["choices"]
        ]
    elif public["type"] == "numeric":
        q["value"] = "" if answer is None else str(answer)
    elif public["type"] == "matching":
        matched = answer if isinstance(answer, dict) else {}
        q["left"] = [
            {"key": x["key"], "html": inline_html(x["text"]), "selected": matched.get(x["key"], "")}
            for x in public["left"]
        ]
        q["right"] = [{"key": x["key"], "text": x["text"]} for x in public["right"]]
    elif public["type"] == "ordering":
        ranks = {key: pos + 1 for pos, key in enumerate(answer)} if isinstance(answer, list) else {}
        q["items"] = [
            {"key": x["key"], "html": inline_html(x["text"]), "rank": ranks.get(x["key"])}
            for x in public["items"]
        ]
        q["ranks"] = list(range(1, len(public["items"]) + 1))
    return q


def answer_from_post(public: dict, post) -> Any:
    """The answer (QUIZ-CONTRACT.md shapes) from the question form, for pages without JS.
    static/js/exam.js builds the same shapes for autosave."""
    kind = public["type"]
    if kind == "multiple":
        return post.getlist("answer")
    if kind in ("single", "numeric"):
        return post.get("answer", "").strip()
    if kind == "matching":
        return {
            x["key"]: post.get(f"match-{x['key']}", "")
            for x in public["left"]
            if post.get(f"match-{x['key']}")
        }
    ranks: dict[int, str] = {}
    for x in public["items"]:
        value = post.get(f"rank-{x['key']}", "")
        if not value:
            continue
        if not value.isdigit() or int(value) in ranks:
            raise AnswerFormError("Give each item a different position (1 is first).")
        ranks[int(value)] = x["key"]
    return [ranks[r] for r in sorted(ranks)]


def lesson_links(question: Question, titles: dict[str, str] | None = None) -> list[dict]:
    """Links to the lessons (and sections) a question tests, from its spec's entries;
    `titles` (slug -> title) saves the query when linking many questions."""
    entries = question.spec.get("lessons", [])
    if titles is None:
        titles = dict(
            Lesson.objects.filter(slug__in=[e.split("#", 1)[0] for e in entries]).values_list(
                "slug", "title"
            )
        )
    links = []
    for entry in entries:
        slug, _, anchor = entry.partition("#")
        if slug in titles:
            url = reverse("courses:lesson", kwargs={"slug": slug})
            links.append({"url": f"{url}#{anchor}" if anchor else url, "title": titles[slug]})
    return links


def feedback_context(result: GradeResult, question: Question) -> dict:
    return {"result": result, "lessons": lesson_links(question)}


# --- home and practice ----------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    attempts = (
        ExamAttempt.objects.filter(user=request.user).select_related("exam").order_by("-started_at")
    )
    return render(
        request,
        "quizzes/home.html",
        {
            "exams": Exam.objects.filter(is_active=True),
            "attempts": attempts[:20],
            "domains": DOMAINS,
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
    variant = variant_for(item.question, item.seed)
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
        "domain_label": DOMAINS.get(item.question.domain, item.question.domain),
        "error": error,
    }
    if item.is_answered:
        context["question"] = question_context(public, item.answer)
        context.update(feedback_context(practice.feedback(practice=item), item.question))
    else:
        context["question"] = question_context(public, answer)
    return render(request, "quizzes/practice_question.html", context, status=400 if error else 200)


# --- exam simulation ---------------------------------------------------------------------


@require_POST
@login_required
def exam_start(request: HttpRequest, slug: str) -> HttpResponse:
    exam = get_object_or_404(Exam, slug=slug, is_active=True)
    try:
        attempt = exams.start_attempt(user=request.user, exam=exam)
    except exams.ExamError as exc:
        messages.error(request, str(exc))
        return redirect("quizzes:home")
    return redirect("quizzes:attempt_question", pk=attempt.pk, position=1)


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
    # One query for the whole attempt: positions with answered/flagged, no question data.
    return [
        {"position": position, "answered": answer is not None, "flagged": flagged}
        for position, answer, flagged in found.items.order_by("position").values_list(
            "position", "answer", "flagged"
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
    item = get_object_or_404(
        AttemptItem.objects.select_related("question"), attempt=found, position=position
    )
    public = variant_for(item.question, item.seed).public()
    error = ""
    if request.method == "POST":
        error = _save_from_form(request, found, item, public)
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
            "question": question_context(public, item.answer),
            "nav": nav,
            "total": len(nav),
            "previous": position - 1 if position > 1 else None,
            "next": position + 1 if position < len(nav) else None,
            "clock": _clock(found),
            "error": error,
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
            base_version=int(version) if version.isdigit() else None,
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
    elif go.isdigit():
        position = min(max(int(go), 1), found.question_count)
    return redirect("quizzes:attempt_question", pk=found.pk, position=position)


@require_POST
@login_required
def attempt_save(request: HttpRequest, pk: int, position: int) -> JsonResponse:
    """Autosave (static/js/exam.js): JSON {answer?, version, flagged?} -> the stored state.
    409 with the stored answer when the write is stale; 403 once the time is up."""
    found = exams.get_attempt_for_user(user=request.user, pk=pk)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
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
            "unanswered": [n for n in nav if not n["answered"]],
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
            "unanswered": sum(not n["answered"] for n in nav),
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
    facts = load_facts()
    titles = dict(Lesson.objects.values_list("slug", "title"))
    review = []
    for item in found.items.select_related("question"):
        variant = variant_for(item.question, item.seed, facts=facts)
        review.append(
            {
                "item": item,
                "stem_html": markdown_html(variant.stem),
                "unit": variant.unit,
                "result": grade(variant, item.answer),
                "domain_label": DOMAINS.get(item.question.domain, item.question.domain),
                "lessons": lesson_links(item.question, titles),
            }
        )
    breakdown = [
        {**row, "percent": round(100 * row["correct"] / row["total"]) if row["total"] else 0}
        for row in found.breakdown
    ]
    return render(
        request,
        "quizzes/attempt_result.html",
        {"attempt": found, "review": review, "breakdown": breakdown},
    )
