from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.content_errors import ContentErrors
from courses.importer import apply_plan, build_plan, content_extensions


class Command(BaseCommand):
    help = (
        "Import content/ (notes, course.yaml, facts.yaml) into the database; idempotent and atomic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")
        parser.add_argument("--content-dir", default=None, help="Defaults to settings.CONTENT_DIR.")

    def handle(self, *args, check: bool, content_dir: str | None, **options):
        from pathlib import Path

        root = Path(content_dir) if content_dir else settings.CONTENT_DIR
        try:
            plan = build_plan(root)
        except ContentErrors as exc:
            for error in exc.errors:
                self.stderr.write(f"error: {error}")
            raise CommandError(
                f"{len(exc.errors)} error(s) in content; nothing was imported"
            ) from None
        for section in plan.unplaced:
            self.stdout.write(
                f"unplaced: {section.note.filename}:{section.section.line} "
                f"{' › '.join(section.section.path)} ({section.placement_detail})"
            )
        filled = {s.lesson for s in plan.assembly.sections if s.lesson}
        for lesson in plan.outline.lessons:
            if lesson.slug not in filled:
                self.stdout.write(
                    f"warning: content/course.yaml:{lesson.line}: lesson {lesson.slug!r} received no "
                    "section; add heading aliases or keywords, or remove it"
                )
        placed = len(plan.assembly.sections) - len(plan.unplaced)
        counts = (
            f"{len(plan.notes)} notes, {len(plan.outline.lessons)} lessons, "
            f"{placed} sections placed, {len(plan.unplaced)} unplaced, {len(plan.facts)} facts"
        )
        for extension in content_extensions():
            if extension.name in plan.extras:
                built = plan.extras[extension.name]
                counts += ", " + extension.describe(built)
                for warning in getattr(built, "warnings", ()):
                    self.stdout.write(f"warning: {warning}")
        if check:
            self.stdout.write(f"content OK: {counts}")
            return
        result = apply_plan(plan)
        self.stdout.write(f"imported {counts}: {result.summary()}")
