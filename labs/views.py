"""Lab pages and the JSON API: authorize, read the request, call one service, respond."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import instructor_required
from labs import services
from labs.forms import submission_from_form, submission_from_json
from labs.models import Submission
from labs.results import present
from labs.services import SubmissionRefused


@require_GET
@login_required
def lab_list(request):
    return render(request, "labs/lab_list.html", {"labs": services.lab_list(user=request.user)})


def _lab_page(
    request,
    lab,
    *,
    files: dict[str, str] | list[tuple[str, str]],
    error: SubmissionRefused | None = None,
):
    if isinstance(files, dict):
        files = sorted(files.items(), key=lambda item: (item[0] != "provision.py", item[0]))
    response = render(
        request,
        "labs/lab.html",
        {
            "lab": lab,
            "lessons": list(lab.lessons.only("slug", "title")),
            "files": files,
            "history": services.lab_history(user=request.user, lab=lab),
            "error": error,
        },
        status=error.status_code if error else 200,
    )
    if isinstance(error, services.RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


@require_GET
@login_required
def lab(request, slug: str):
    lab = services.get_lab_for_user(user=request.user, slug=slug)
    source = request.GET.get("from", "")
    if request.GET.get("starter"):
        files = lab.starter_files
    else:
        files = services.editor_files(
            user=request.user,
            lab=lab,
            # Anything but a plausible id opens the latest code, as without the parameter.
            from_submission=int(source)
            if source.isascii() and source.isdigit() and len(source) < 19
            else None,
        )
    return _lab_page(request, lab, files=files)


@require_POST
@login_required
def submit(request, slug: str):
    """The editor's form without JavaScript: store, then show the submission's page. A
    refused submission shows the lab page again with the learner's code intact."""
    lab = services.get_lab_for_user(user=request.user, slug=slug)
    try:
        kind, files = submission_from_form(request.POST)
        submission = services.create_submission(user=request.user, lab=lab, files=files, kind=kind)
    except SubmissionRefused as exc:
        sent = zip(request.POST.getlist("filename"), request.POST.getlist("content"), strict=False)
        return _lab_page(request, lab, files=[(n, t) for n, t in sent if n or t], error=exc)
    return redirect(submission)


def _json_error(exc: SubmissionRefused) -> JsonResponse:
    response = JsonResponse({"error": exc.message, "field": exc.field}, status=exc.status_code)
    if isinstance(exc, services.RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_POST
@login_required
def api_submit(request, slug: str):
    """POST {"kind": "run"|"submit", "files": {...}} -> 202 with the status URL to poll."""
    lab = services.get_lab_for_user(user=request.user, slug=slug)
    if request.content_type != "application/json":
        return _json_error(SubmissionRefused("body", "send the body as application/json"))
    try:
        kind, files = submission_from_json(request.body)
        submission = services.create_submission(user=request.user, lab=lab, files=files, kind=kind)
    except SubmissionRefused as exc:
        return _json_error(exc)
    submission.refresh_from_db(fields=["status"])  # eager Celery may have graded it already
    return JsonResponse(_status_payload(request, submission), status=202)


def _status_payload(request, submission: Submission) -> dict:
    payload = {
        "id": submission.pk,
        "kind": submission.kind,
        "status": submission.status,
        "status_label": submission.get_status_display(),
        "finished": submission.is_finished,
        "score": None if submission.score is None else float(submission.score),
        "max_score": None if submission.max_score is None else float(submission.max_score),
        "url": submission.get_absolute_url(),
        "status_url": reverse("labs:submission_status", kwargs={"pk": submission.pk}),
        "html": "",
    }
    if submission.is_finished:
        payload["html"] = render_to_string(
            "labs/_result.html", {"view": present(submission)}, request=request
        )
    return payload


@require_GET
@login_required
def submission_status(request, pk: int):
    submission = services.get_submission_for_user(user=request.user, pk=pk)
    return JsonResponse(_status_payload(request, submission))


@require_GET
@login_required
def submission(request, pk: int):
    submission = services.get_submission_for_user(user=request.user, pk=pk)
    return render(
        request,
        "labs/submission.html",
        {
            "submission": submission,
            "lab": submission.lab,
            "view": present(submission),
            "files": sorted(submission.files.items()),
        },
    )


@require_GET
@instructor_required
def gradebook(request, slug: str):
    lab = services.get_lab_for_instructor(slug=slug)
    return render(
        request,
        "labs/gradebook.html",
        {"lab": lab, "rows": services.gradebook(lab=lab)},
    )


@require_GET
@instructor_required
def gradebook_csv(request, slug: str):
    lab = services.get_lab_for_instructor(slug=slug)
    response = HttpResponse(services.gradebook_csv(lab=lab), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gradebook-{lab.slug}.csv"'
    return response


@require_POST
@instructor_required
def regrade(request, slug: str):
    lab = services.get_lab_for_instructor(slug=slug)
    count = services.regrade_lab(lab=lab)
    messages.success(
        request, f"{count} submission{'s' if count != 1 else ''} queued for re-grading."
    )
    return redirect("labs:gradebook", slug=lab.slug)
