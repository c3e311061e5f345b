from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.access import instructor_required
from courses import services
from courses.reports import build_report
from courses.services import get_lesson_for_user


@require_GET
@login_required
def course(request):
    modules = services.course_outline()
    done = services.completed_lesson_ids(user=request.user)
    total = sum(len(m.lessons.all()) for m in modules)
    return render(
        request,
        "courses/course.html",
        {
            "modules": modules,
            "done": done,
            "total": total,
            "done_count": len(done),
            "percent": round(100 * len(done) / total) if total else 0,
        },
    )


@require_GET
@login_required
def lesson(request, slug: str):
    lesson = get_lesson_for_user(user=request.user, slug=slug)
    view = "source" if request.GET.get("view") == "source" else "merged"
    # Only the HTML of the chosen view travels from the database.
    unused = ["text", "html_source" if view == "merged" else "html_merged"]
    sections = list(lesson.sections.select_related("note").defer(*unused).order_by("lesson_order"))
    modules = services.course_outline()
    done = services.completed_lesson_ids(user=request.user)
    flat = [item for m in modules for item in m.lessons.all()]
    index = next(i for i, item in enumerate(flat) if item.pk == lesson.pk)
    if view == "merged":
        groups = [
            {"title": title, "sections": list(items)}
            for title, items in groupby(sections, key=lambda s: s.group_title)
        ]
    else:
        by_note = sorted(sections, key=lambda s: (s.note.order, s.order))
        groups = [
            {"title": note.title, "note": note, "sections": list(items)}
            for note, items in groupby(by_note, key=lambda s: s.note)
        ]
    sources = sorted({s.note for s in sections}, key=lambda n: n.order)
    labs = list(lesson.labs.filter(is_active=True).only("slug", "title", "minutes"))
    return render(
        request,
        "courses/lesson.html",
        {
            "lesson": lesson,
            "view": view,
            "groups": groups,
            "sources": sources,
            "modules": modules,
            "done": done,
            "is_done": lesson.pk in done,
            "previous": flat[index - 1] if index > 0 else None,
            "next": flat[index + 1] if index + 1 < len(flat) else None,
            "labs": labs,
        },
    )


@require_POST
@login_required
def mark_done(request, slug: str):
    lesson = get_lesson_for_user(user=request.user, slug=slug)
    services.set_lesson_done(user=request.user, lesson=lesson, done=request.POST.get("done") != "0")
    view = "?view=source" if request.POST.get("view") == "source" else ""
    return redirect(lesson.get_absolute_url() + view)


@require_GET
@login_required
def search(request):
    query = request.GET.get("q", "")[:200]
    hits = services.search_lessons(query=query)
    return render(
        request,
        "courses/search.html",
        {
            "query": query,
            "hits": [(h.lesson, mark_safe(h.snippet)) for h in hits],  # noqa: S308 - escaped in highlight()
        },
    )


@require_GET
@instructor_required
def content_report(request):
    return render(request, "courses/report.html", {"report": build_report()})


@require_POST
@instructor_required
def reimport(request):
    services.queue_content_import()
    messages.success(request, "Content import queued; refresh this report in a few seconds.")
    return redirect("courses:report")
