"""Course services: fetching lessons for a user, progress, search."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from courses.models import Lesson, LessonProgress, Module


def get_lesson_for_user(*, user: User, slug: str) -> Lesson:
    """The one way views fetch a lesson: every signed-in user may read every lesson."""
    if not user.is_authenticated:
        raise Http404("No lesson")
    try:
        return Lesson.objects.select_related("module").defer("search_text").get(slug=slug)
    except Lesson.DoesNotExist:
        raise Http404("No such lesson") from None


def completed_lesson_ids(*, user: User) -> set[int]:
    return set(LessonProgress.objects.filter(user=user).values_list("lesson_id", flat=True))


@transaction.atomic
def set_lesson_done(*, user: User, lesson: Lesson, done: bool) -> None:
    """Mark a lesson done (idempotent) or not done. Side effects: one LessonProgress row."""
    if done:
        LessonProgress.objects.get_or_create(
            user=user, lesson=lesson, defaults={"completed_at": timezone.now()}
        )
    else:
        LessonProgress.objects.filter(user=user, lesson=lesson).delete()


def course_outline() -> list[Module]:
    """Modules with their lessons, in two queries (without the lessons' search text, which
    is the size of the whole course)."""
    lessons = Lesson.objects.only("id", "module_id", "slug", "title", "order")
    return list(Module.objects.prefetch_related(Prefetch("lessons", queryset=lessons)))


@dataclass
class SearchHit:
    lesson: Lesson
    snippet: str  # sanitised HTML with <mark> around matches


MAX_QUERY_TERMS = 8
MAX_RESULTS = 50


def search_lessons(*, query: str) -> list[SearchHit]:
    terms = [t for t in re.split(r"\s+", query.strip()) if t][:MAX_QUERY_TERMS]
    if not terms:
        return []
    condition = Q()
    for term in terms:
        condition &= Q(title__icontains=term) | Q(search_text__icontains=term)
    lessons = Lesson.objects.filter(condition).select_related("module")[:MAX_RESULTS]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    hits = [SearchHit(lesson, _snippet(lesson.search_text, pattern)) for lesson in lessons]
    # Title matches first, then by the number of matches in the text.
    hits.sort(
        key=lambda h: (
            not pattern.search(h.lesson.title),
            -len(pattern.findall(h.lesson.search_text)),
            h.lesson.order,
        )
    )
    return hits


def highlight(text: str, pattern: re.Pattern) -> str:
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _snippet(text: str, pattern: re.Pattern, width: int = 220) -> str:
    flat = re.sub(r"\s+", " ", text)
    match = pattern.search(flat)
    start = max(0, (match.start() if match else 0) - width // 3)
    piece = flat[start : start + width]
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(flat) else ""
    return prefix + highlight(piece, pattern) + suffix


def queue_content_import() -> None:
    """Queue a re-import of content/ on the Celery worker, once the current transaction
    commits. Side effects: one task message on the broker."""
    from courses.tasks import import_content_task

    transaction.on_commit(import_content_task.delay)
