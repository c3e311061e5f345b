"""content/labs/<slug>/ folders -> Lab rows, as a content extension of `import_content`.

`build` validates every folder without writing: the four parts exist (lab.md, starter/,
solution/, checks.py), the front matter is complete and names known lessons, checks.py
compiles, and the reference solution scores full marks when the real sandbox grades it (so
a checks.py that fails to load, or checks the solution cannot pass, stop the import with
the check names). `apply` syncs Lab rows by slug inside the import's transaction.

Grading costs a sandbox run per lab, and every import (each test session, each `make run`)
validates every lab, so a reference solution that already earned full marks with
byte-identical lab files, sandbox code and AWS library versions is not graded again: the
digests of those verifications are kept in var/labs-verified.json. Changing any of them
grades the solution again.

Removing a lab folder deactivates its Lab (hidden from learners, no new submissions) and
never deletes it: submissions and the gradebook are the learners' history. Putting the
folder back reactivates the same row.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from markdown_it import MarkdownIt

from courses.content_errors import ContentError, ContentErrors
from courses.importer import ContentExtension, ImportResult, Plan
from courses.note_rendering import ALLOWED_TAGS, sanitize
from courses.yaml_lines import SLUG, FieldReader, LineDict, load_yaml_text
from labs.submission_files import InvalidFiles, read_submission_dir

FRONT_MATTER_KEYS = {"title", "lessons", "minutes", "summary", "order"}
MAX_MINUTES = 600
# Lab instructions are ours (not learners'), but they pass the same sanitiser as notes, with
# headings h2-h4 added: the page's h1 is the lab title, so '#' becomes h2 and '#####' h4.
INSTRUCTION_TAGS = ALLOWED_TAGS | {"h2", "h3", "h4"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@dataclass(frozen=True)
class LabSpec:
    slug: str
    title: str
    summary: str
    minutes: int
    order: int
    lessons: tuple[str, ...]
    instructions_html: str
    starter_files: dict[str, str]
    solution_files: dict[str, str]
    checks_digest: str
    source_path: str  # relative to the content directory, e.g. "labs/dynamodb-table"
    folder: Path = field(compare=False)


def render_instructions(markdown: str) -> str:
    tokens = _markdown.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(2, min(int(token.tag[1]), 4))}"
    return sanitize(_markdown.renderer.render(tokens, _markdown.options, {}), tags=INSTRUCTION_TAGS)


def lab_folder(content_dir: Path, source_path: str) -> Path:
    return content_dir / source_path


def _display(slug: str, part: str = "") -> str:
    return f"content/labs/{slug}/{part}"


def _split_front_matter(text: str, display: str) -> tuple[str, str, int]:
    """(front matter YAML padded so its line numbers are the file's, body, body's line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            display,
            1,
            "lab.md must start with front matter between '---' lines",
            "begin with '---', then title, lessons, minutes and summary, then '---'",
        )
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if close is None:
        raise ContentError(
            display, 1, "the front matter is never closed", "add a line with '---' after it"
        )
    # One blank line stands in for the opening '---', so YAML's line N is the file's line N.
    return "\n" + "".join(lines[1:close]), "".join(lines[close + 1 :]), close + 2


def _load_front_matter(yaml_text: str, display: str) -> object:
    return load_yaml_text(yaml_text, display, what="front matter")


def _read_front_matter(
    text: str, display: str, lesson_slugs: set[str]
) -> tuple[dict, str, list[ContentError]]:
    yaml_text, body, body_line = _split_front_matter(text, display)
    data = _load_front_matter(yaml_text, display)
    reader = FieldReader(display)
    if not isinstance(data, LineDict):
        raise ContentError(
            display, 2, "the front matter must be a mapping (key: value lines)", "see docs/LABS.md"
        )
    reader.keys(data, "the front matter", FRONT_MATTER_KEYS)
    fields = {
        "title": reader.text(data, "title", "the front matter"),
        "summary": reader.text(data, "summary", "the front matter"),
    }
    before = len(reader.errors)
    fields["lessons"] = reader.strings(data, "lessons", "the front matter")
    lessons_malformed = len(reader.errors) > before
    for key, limit in (("title", 200), ("summary", 300)):
        if len(fields[key]) > limit:
            reader.error(data.line_of(key), f"{key!r} is longer than {limit} characters")
    if "lessons" in data and not fields["lessons"] and not lessons_malformed:
        reader.error(data.line_of("lessons"), "'lessons' is empty", "name at least one lesson")
    elif "lessons" not in data:
        reader.error(data.line, "the front matter has no 'lessons'", "add 'lessons: [slug, ...]'")
    for slug in fields["lessons"]:
        if slug not in lesson_slugs:
            reader.error(
                data.line_of("lessons"),
                f"unknown lesson {slug!r}",
                "use a lesson slug from content/course.yaml",
            )
    for key, required, low, high in (
        ("minutes", True, 1, MAX_MINUTES),
        ("order", False, None, None),
    ):
        value = data.get(key)
        if value is None:
            if required:
                reader.error(data.line, f"the front matter has no {key!r}", f"add '{key}: 20'")
            fields[key] = 0
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            reader.error(data.line_of(key), f"{key!r} must be a whole number, not {value!r}")
            value = 0
        elif low is not None and not low <= value <= high:
            reader.error(data.line_of(key), f"{key!r} must be between {low} and {high}")
        fields[key] = value
    if not body.strip():
        reader.error(
            body_line, "lab.md has no instructions after the front matter", "write the task"
        )
    return fields, body, reader.errors


def _read_files(folder: Path, slug: str, part: str) -> dict[str, str]:
    try:
        return read_submission_dir(folder / part)
    except InvalidFiles as exc:
        where = exc.field if exc.field != "files" else ""
        raise ContentError(
            _display(slug, f"{part}/{where}"),
            None,
            exc.message if where else f"{part}/ {exc.message}",
            "a submission folder holds only the UTF-8 files a learner would send",
        ) from None


def _check_syntax(source: str, display: str) -> ContentError | None:
    # compile() only parses: the checks are never executed in the Django process.
    try:
        compile(source, display, "exec")
    except SyntaxError as exc:
        return ContentError(
            display,
            exc.lineno,
            f"checks.py does not load: {exc.msg}",
            "fix the Python syntax on that line",
        )
    return None


def load_lab(folder: Path, lesson_slugs: set[str]) -> LabSpec:
    """Read and validate one lab folder without running anything; raises ContentErrors."""
    slug = folder.name
    errors: list[ContentError] = []
    if not SLUG.match(slug):
        raise ContentErrors(
            [
                ContentError(
                    _display(slug),
                    None,
                    f"{slug!r} is not a valid lab slug",
                    "name the folder with lowercase letters, digits and single hyphens",
                )
            ]
        )
    missing = {
        "lab.md": "every lab needs lab.md: front matter (title, lessons, minutes, summary), "
        "then the instructions",
        "starter/": "add starter/ with the files the learner starts from",
        "solution/": "add solution/ with the reference solution (it must score full marks)",
        "checks.py": "add checks.py with @check functions (see docs/LABS.md)",
    }
    for part, hint in missing.items():
        path = folder / part.rstrip("/")
        exists = path.is_dir() if part.endswith("/") else path.is_file()
        if not exists:
            errors.append(ContentError(_display(slug, part), None, "not found", hint))
    if errors:
        raise ContentErrors(errors)
    display = _display(slug, "lab.md")
    try:
        text = (folder / "lab.md").read_bytes().decode("utf-8")
        fields, body, field_errors = _read_front_matter(text, display, lesson_slugs)
        errors.extend(field_errors)
    except UnicodeDecodeError as exc:
        errors.append(ContentError(display, None, f"not UTF-8 ({exc.reason})", "save as UTF-8"))
    except ContentError as exc:
        errors.append(exc)
    starter = solution = {}
    for part in ("starter", "solution"):
        try:
            files = _read_files(folder, slug, part)
        except ContentError as exc:
            errors.append(exc)
            continue
        if part == "starter":
            starter = files
        else:
            solution = files
    checks_display = _display(slug, "checks.py")
    checks_bytes = (folder / "checks.py").read_bytes()
    try:
        problem = _check_syntax(checks_bytes.decode("utf-8"), checks_display)
    except UnicodeDecodeError as exc:
        problem = ContentError(checks_display, None, f"not UTF-8 ({exc.reason})", "save as UTF-8")
    if problem:
        errors.append(problem)
    if errors:
        raise ContentErrors(errors)
    return LabSpec(
        slug=slug,
        title=fields["title"],
        summary=fields["summary"],
        minutes=fields["minutes"],
        order=fields["order"],
        lessons=tuple(fields["lessons"]),
        instructions_html=render_instructions(body),
        starter_files=starter,
        solution_files=solution,
        checks_digest=hashlib.sha256(checks_bytes).hexdigest(),
        source_path=f"labs/{slug}",
        folder=folder,
    )


# The sandbox reports a checks.py that fails to load as "checks.py failed to load:
# <path>/checks.py:<line>: <error>".
_CHECKS_LOAD = re.compile(r"checks\.py:(\d+): (.*)", re.S)


SANDBOX_DIR = Path(__file__).resolve().parent / "sandbox"
VERIFIED_KEEP = 500


def _tree_digest(root: Path, digest) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")


@lru_cache(maxsize=1)
def _sandbox_digest() -> str:
    digest = hashlib.sha256()
    _tree_digest(SANDBOX_DIR, digest)
    for package in ("moto", "boto3", "botocore"):
        digest.update(f"{package}=={version(package)}\0".encode())
    return digest.hexdigest()


def verification_key(folder: Path) -> str:
    """Digest of everything a reference solution's grade depends on."""
    digest = hashlib.sha256(_sandbox_digest().encode())
    _tree_digest(folder, digest)
    return digest.hexdigest()


def _verified_file() -> Path:
    return Path(settings.VAR_DIR) / "labs-verified.json"


def _verified_keys() -> list[str]:
    try:
        keys = json.loads(_verified_file().read_text())
    except (OSError, ValueError):
        return []
    return keys if isinstance(keys, list) else []


def _remember_verified(key: str) -> None:
    kept = [k for k in _verified_keys() if k != key][-(VERIFIED_KEEP - 1) :]
    keys = [*kept, key]
    target = _verified_file()
    partial = target.with_name(f"{target.name}.{os.getpid()}")
    partial.write_text(json.dumps(keys))
    os.replace(partial, target)  # atomic: a concurrent import reads the old or the new list


def verify_solution(spec: LabSpec) -> list[ContentError]:
    """The reference solution must score full marks in the real sandbox (graded unless an
    identical verification already passed; see the module docstring)."""
    key = verification_key(spec.folder)
    if key in _verified_keys():
        return []
    errors = _grade_solution(spec)
    if not errors:
        _remember_verified(key)
    return errors


def _grade_solution(spec: LabSpec) -> list[ContentError]:
    from labs.sandbox import engine

    checks = _display(spec.slug, "checks.py")
    result = engine.grade(spec.folder, spec.solution_files)
    if result.get("status") == "error":
        reason = str(result.get("reason") or "no reason given")
        reason = reason.replace(f"{spec.folder.resolve()}/", "")
        match = _CHECKS_LOAD.search(reason)
        if match:
            return [
                ContentError(
                    checks,
                    int(match.group(1)),
                    f"checks.py fails to load: {match.group(2).strip()}",
                    "fix checks.py; it is imported before any check runs",
                )
            ]
        return [
            ContentError(
                checks,
                None,
                f"grading the reference solution failed: {reason}",
                f"run `python manage.py grade_lab {spec.slug} "
                f"content/labs/{spec.slug}/solution` to see the whole result",
            )
        ]
    if not result.get("gradable", False):
        return [
            ContentError(
                _display(spec.slug, "solution/"),
                None,
                f"the reference solution cannot be graded: {result.get('reason')}",
                "fix the solution so it runs",
            )
        ]
    if not result.get("checks"):
        return [ContentError(checks, None, "checks.py defines no checks", "add @check functions")]
    failing = [c for c in result["checks"] if not c.get("passed")]
    if failing or result["score"] < result["max_score"]:
        names = "; ".join(f"{c['name']!r} ({c.get('message') or 'failed'})" for c in failing)
        return [
            ContentError(
                _display(spec.slug, "solution/"),
                None,
                f"the reference solution scores {_num(result['score'])} of "
                f"{_num(result['max_score'])}; failing checks: {names or 'none (partial credit)'}",
                "fix the solution or the checks so the reference earns full marks",
            )
        ]
    return []


def _num(value: float) -> str:
    return f"{value:g}"


class LabContent(ContentExtension):
    name = "labs"

    def build(self, content_dir: Path, plan: Plan) -> list[LabSpec]:
        root = content_dir / "labs"
        if not root.is_dir():
            return []
        lesson_slugs = {lesson.slug for lesson in plan.outline.lessons}
        errors: list[ContentError] = []
        specs = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if folder.name.startswith((".", "_")):
                continue
            try:
                specs.append(load_lab(folder, lesson_slugs))
            except ContentErrors as exc:
                errors.extend(exc.errors)
        if errors:
            raise ContentErrors(errors)
        # Only folders that are valid on their own are graded, and only when every folder is
        # valid: a grading run costs a sandbox start per lab.
        for spec in specs:
            errors.extend(verify_solution(spec))
        if errors:
            raise ContentErrors(errors)
        return specs

    def apply(self, built: list[LabSpec], result: ImportResult) -> None:
        from courses.models import Lesson
        from labs.models import Lab

        name = Lab._meta.verbose_name_plural
        lesson_ids = dict(
            Lesson.objects.filter(slug__in={s for spec in built for s in spec.lessons}).values_list(
                "slug", "id"
            )
        )
        existing = {lab.slug: lab for lab in Lab.objects.prefetch_related("lessons")}
        for spec in built:
            fields = dict(
                title=spec.title,
                summary=spec.summary,
                minutes=spec.minutes,
                order=spec.order,
                instructions_html=spec.instructions_html,
                starter_files=spec.starter_files,
                checks_digest=spec.checks_digest,
                source_path=spec.source_path,
                is_active=True,
            )
            wanted = {lesson_ids[s] for s in spec.lessons}
            lab = existing.pop(spec.slug, None)
            if lab is None:
                lab = Lab(slug=spec.slug, **fields)
                lab.full_clean(exclude=["lessons"])
                lab.save()
                lab.lessons.set(wanted)
                result.created[name] += 1
                continue
            changed = [f for f, v in fields.items() if getattr(lab, f) != v]
            if changed:
                for f in changed:
                    setattr(lab, f, fields[f])
                lab.save(update_fields=changed)
            if {lesson.pk for lesson in lab.lessons.all()} != wanted:
                lab.lessons.set(wanted)
                changed.append("lessons")
            if changed:
                result.updated[name] += 1
        for lab in existing.values():
            if lab.is_active:
                lab.is_active = False
                lab.save(update_fields=["is_active"])
                result.updated[name] += 1

    def describe(self, built: list[LabSpec]) -> str:
        return f"{len(built)} lab{'s' if len(built) != 1 else ''}"
