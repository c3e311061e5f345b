"""content/course.yaml: the outline an instructor edits (sources, modules, lessons, routing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from courses.yaml_lines import FieldReader, LineDict, load_yaml

OUTLINE_FILE = "content/course.yaml"


@dataclass
class SourceSpec:
    file: str
    title: str
    line: int


@dataclass
class ModuleSpec:
    slug: str
    title: str
    summary: str
    line: int


@dataclass
class LessonSpec:
    slug: str
    module: str
    title: str
    summary: str
    headings: list[str]
    keywords: list[str]
    line: int


@dataclass
class PlacementSpec:
    note: str
    heading: str
    lesson: str  # a lesson slug, or "" to leave the section unplaced on purpose
    line: int


@dataclass
class Outline:
    sources: list[SourceSpec]
    modules: list[ModuleSpec]
    lessons: list[LessonSpec]
    placements: list[PlacementSpec] = field(default_factory=list)


def load_outline(content_dir: Path, note_files: list[str]) -> Outline:
    raw = load_yaml(content_dir / "course.yaml", OUTLINE_FILE)
    r = FieldReader(OUTLINE_FILE)
    data = r.mapping(raw, "course.yaml", 1)
    if data is None:
        r.raise_errors()
    r.keys(data, "course.yaml", {"sources", "modules", "lessons", "placements"})

    sources: list[SourceSpec] = []
    for entry in _list(r, data, "sources"):
        item = r.mapping(entry, "a source", getattr(entry, "line", data.line_of("sources")))
        if item is None:
            continue
        r.keys(item, "a source", {"file", "title"})
        file, src_title = r.text(item, "file", "a source"), r.text(item, "title", "a source")
        if file and file not in note_files:
            r.error(
                item.line_of("file"),
                f"source {file!r} is not a file in content/notes/",
                "fix the file name or remove the entry",
            )
        sources.append(SourceSpec(file, src_title, item.line))

    modules: list[ModuleSpec] = []
    seen_modules: dict[str, int] = {}
    for entry in _list(r, data, "modules"):
        item = r.mapping(entry, "a module", data.line_of("modules"))
        if item is None:
            continue
        r.keys(item, "a module", {"slug", "title", "summary"})
        slug = r.slug(item, "slug", "a module")
        if slug in seen_modules:
            r.error(
                item.line_of("slug"),
                f"duplicate module slug {slug!r} (first at line {seen_modules[slug]})",
                "give each module a unique slug",
            )
        seen_modules.setdefault(slug, item.line_of("slug"))
        modules.append(
            ModuleSpec(
                slug,
                r.text(item, "title", f"module {slug!r}"),
                r.text(item, "summary", f"module {slug!r}", required=False),
                item.line,
            )
        )

    lessons: list[LessonSpec] = []
    seen_lessons: dict[str, int] = {}
    for entry in _list(r, data, "lessons"):
        item = r.mapping(entry, "a lesson", data.line_of("lessons"))
        if item is None:
            continue
        r.keys(item, "a lesson", {"slug", "module", "title", "summary", "headings", "keywords"})
        slug = r.slug(item, "slug", "a lesson")
        what = f"lesson {slug!r}"
        if slug in seen_lessons:
            r.error(
                item.line_of("slug"),
                f"duplicate lesson slug {slug!r} (first at line {seen_lessons[slug]})",
                "lesson slugs are their URLs and must be unique; rename one of them",
            )
        seen_lessons.setdefault(slug, item.line_of("slug"))
        module = r.text(item, "module", what)
        if module and module not in seen_modules:
            r.error(
                item.line_of("module"),
                f"{what} names unknown module {module!r}",
                f"use one of: {', '.join(seen_modules) or '(no modules defined)'}",
            )
        lessons.append(
            LessonSpec(
                slug,
                module,
                r.text(item, "title", what),
                r.text(item, "summary", what, required=False),
                r.strings(item, "headings", what),
                r.strings(item, "keywords", what),
                item.line,
            )
        )

    placements: list[PlacementSpec] = []
    for entry in _list(r, data, "placements"):
        item = r.mapping(entry, "a placement", data.line_of("placements"))
        if item is None:
            continue
        r.keys(item, "a placement", {"note", "heading", "lesson"})
        note = r.text(item, "note", "a placement")
        lesson = r.text(item, "lesson", "a placement", required=False)
        if note and note not in note_files:
            r.error(
                item.line_of("note"),
                f"placement names unknown note {note!r}",
                "use a file name from content/notes/",
            )
        if lesson and lesson not in seen_lessons:
            r.error(
                item.line_of("lesson"),
                f"placement names unknown lesson {lesson!r}",
                "use a lesson slug defined under 'lessons', or leave 'lesson' empty to keep it unplaced",
            )
        placements.append(
            PlacementSpec(note, r.text(item, "heading", "a placement"), lesson, item.line)
        )

    r.raise_errors()
    return Outline(sources, modules, lessons, placements)


def _list(r: FieldReader, data: LineDict, key: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        r.error(data.line_of(key), f"{key!r} must be a list (lines starting with '- ')")
        return []
    return value
