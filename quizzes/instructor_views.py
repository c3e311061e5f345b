"""Instructor pages for the question bank: list, create/edit, preview, GIFT upload, export.

Every view is instructor-only (accounts.access.instructor_required: learners get 403,
anonymous users the login page). The logic lives in quizzes.authoring and quizzes.forms.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import instructor_required
from courses.content_errors import ContentErrors
from quizzes import authoring
from quizzes.bank import dump_yaml, export_yaml
from quizzes.forms import TYPE_LABELS, BankFilterForm, GiftUploadForm, QuestionEditor
from quizzes.gift import GiftDefaults
from quizzes.grading import grade
from quizzes.models import Question
from quizzes.rendering import AnswerFormError, answer_from_post, lesson_links, question_context
from quizzes.spec import DOMAINS, TYPES
from quizzes.variants import VariantError

PAGE_SIZE = 50
MAX_SEED = 2**31 - 1


@require_GET
@instructor_required
def bank(request: HttpRequest) -> HttpResponse:
    form = BankFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    questions = authoring.bank_questions(
        domain=filters.get("domain", ""),
        type=filters.get("type", ""),
        origin=filters.get("origin", ""),
        text=filters.get("q", ""),
    )
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "quizzes/instructor/bank.html",
        {"form": form, "page": page, "query": query.urlencode(), "domains": DOMAINS},
    )


@require_GET
@instructor_required
def choose_type(request: HttpRequest) -> HttpResponse:
    types = [{"code": t, "label": TYPE_LABELS[t]} for t in TYPES]
    return render(request, "quizzes/instructor/choose_type.html", {"types": types})


@require_http_methods(["GET", "POST"])
@instructor_required
def create(request: HttpRequest, question_type: str) -> HttpResponse:
    if question_type not in TYPES:
        raise Http404("No such question type.")
    editor = QuestionEditor(question_type, data=request.POST if request.method == "POST" else None)
    return _editor_page(request, editor, question=None)


@require_http_methods(["GET", "POST"])
@instructor_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = authoring.get_question(pk)
    location = authoring.file_location(question)
    if location:
        # File questions are shown, never saved: a POST changes nothing and says why.
        return render(
            request,
            "quizzes/instructor/read_only.html",
            {"question": question, "location": location, "yaml": dump_yaml(question.spec)},
            status=409 if request.method == "POST" else 200,
        )
    editor = QuestionEditor(
        question.type,
        data=request.POST if request.method == "POST" else None,
        initial=question.spec,
        editing=True,
    )
    return _editor_page(request, editor, question=question)


def _editor_page(request: HttpRequest, editor: QuestionEditor, question: Question | None):
    status = 200
    trial = None
    if request.method == "POST":
        add_row = request.POST.get("add_row")
        if add_row:
            editor = editor.with_extra_row(add_row, request.POST)
            editor.show_errors = False
        elif editor.is_valid() and "try" in request.POST:
            trial = _trial(request, editor, question)
        elif editor.is_valid():
            try:
                saved = authoring.save_browser_question(
                    data=editor.to_data(), user=request.user, question=question
                )
            except ContentErrors as exc:
                editor.apply_errors(exc.errors)
            else:
                verb = "Saved" if question else "Created"
                messages.success(request, f"{verb} question {saved.slug}.")
                if "preview" in request.POST:
                    return redirect("quizzes_instructor:preview", pk=saved.pk)
                return redirect("quizzes_instructor:edit", pk=saved.pk)
        if editor.show_errors and editor.has_errors:
            status = 400
    return render(
        request,
        "quizzes/instructor/edit.html",
        {
            "editor": editor,
            "form": editor.form,
            "question": question,
            "type_label": TYPE_LABELS[editor.type],
            "trial": trial,
            "seed": request.POST.get("seed", "1"),
        },
        status=status,
    )


def _trial(request: HttpRequest, editor: QuestionEditor, question: Question | None) -> dict | None:
    """The learner view and key of the unsaved form ("Preview without saving"), or None
    with the errors placed on the editor."""
    seed = _seed(request.POST.get("seed", "1"))
    if seed is None:
        editor.general_errors.append(f"The seed must be a whole number from 0 to {MAX_SEED}.")
        return None
    try:
        spec = authoring.check_browser_question(data=editor.to_data(), question=question)
        shown = authoring.preview(spec, seed)
    except ContentErrors as exc:
        editor.apply_errors(exc.errors)
        return None
    except VariantError as exc:
        editor.general_errors.append(str(exc))
        return None
    return {
        "seed": seed,
        "question": question_context(shown.public),
        "key": shown.key,
        "key_items": shown.key.get("items", []),
    }


def _seed(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_SEED else None


@require_http_methods(["GET", "POST"])
@instructor_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    question = authoring.get_question(pk)
    source = request.POST if request.method == "POST" else request.GET
    seed_text = source.get("seed", "1").strip()
    seed = _seed(seed_text)
    context: dict = {"question_row": question, "seed": seed, "seed_text": seed_text}
    if seed is None:
        context["error"] = f"The seed must be a whole number from 0 to {MAX_SEED}."
        return render(request, "quizzes/instructor/preview.html", context, status=400)
    try:
        shown = authoring.preview(question, seed)
    except VariantError as exc:
        context["error"] = str(exc)
        return render(request, "quizzes/instructor/preview.html", context, status=400)
    answer = None
    if request.method == "POST":
        try:
            answer = answer_from_post(shown.public, request.POST)
        except AnswerFormError as exc:
            context["answer_error"] = str(exc)
        else:
            context["result"] = grade(shown.variant, answer)
            context["lessons"] = lesson_links(question.spec)
    context.update(
        {
            "question": question_context(shown.public, answer),
            "key": shown.key,
            # Apart: in a template `key.items` would be the dict's items() method.
            "key_items": shown.key.get("items", []),
            "file_location": authoring.file_location(question),
        }
    )
    return render(request, "quizzes/instructor/preview.html", context)


@require_http_methods(["GET", "POST"])
@instructor_required
def gift_upload(request: HttpRequest) -> HttpResponse:
    # Bound on every POST, even an empty one, so "choose a file" is reported.
    form = (
        GiftUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else GiftUploadForm()
    )
    upload = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            upload = authoring.upload_gift(
                text=c["gift_text"],
                filename=c["gift_name"],
                check=c["check_only"],
                defaults=GiftDefaults(
                    domain=c.get("domain", ""),
                    difficulty=c.get("difficulty", ""),
                    lessons=list(c.get("lessons") or []),
                ),
            )
            status = 200 if upload.ok else 400
        else:
            status = 400
    return render(
        request,
        "quizzes/instructor/gift.html",
        {"form": form, "upload": upload},
        status=status,
    )


@require_GET
@instructor_required
def export(request: HttpRequest) -> HttpResponse:
    """Browser-authored questions in the content/quizzes/ format, ready to commit."""
    response = HttpResponse(export_yaml("browser"), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="browser.yaml"'
    return response
