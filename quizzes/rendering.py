"""Turning variants and graded results into template context, shared by the learner pages
(quizzes/views.py) and the instructor preview (quizzes/instructor_views.py), so an instructor
previews exactly what a learner gets.

`question_context` is built only from `Variant.public()`: nothing it returns can reveal the
key. `feedback_context` renders a GradeResult and is used only once the key may be shown.
"""

from __future__ import annotations

from typing import Any

import nh3
from django.urls import reverse
from markdown_it import MarkdownIt

from courses.models import Lesson
from quizzes.grading import GradeResult, choose_text

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
        if not (value.isascii() and value.isdigit()) or int(value) in ranks:
            raise AnswerFormError("Give each item a different position (1 is first).")
        ranks[int(value)] = x["key"]
    return [ranks[r] for r in sorted(ranks)]


def lesson_links(spec: dict, titles: dict[str, str] | None = None) -> list[dict]:
    """Links to the lessons (and sections) a question tests, from the `lessons` entries of
    its spec dict (a Question's, or an attempt's snapshot); `titles` (slug -> title) saves
    the query when linking many questions."""
    entries = spec.get("lessons", [])
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


def feedback_context(result: GradeResult, spec: dict, titles: dict[str, str] | None = None) -> dict:
    """What _feedback.html renders: the graded result with its texts' inline Markdown
    rendered (`code`, **bold**), and the lessons to read again."""
    entries = [
        {
            **entry,
            "text_html": inline_html(entry["text"]),
            "explanation_html": inline_html(entry.get("explanation", "")),
        }
        for entry in result.feedback
    ]
    return {
        "result": result,
        "entries": entries,
        "explanation_html": markdown_html(result.explanation) if result.explanation else "",
        "lessons": lesson_links(spec, titles),
    }
