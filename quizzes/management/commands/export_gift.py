from pathlib import Path

from django.core.management.base import BaseCommand

from quizzes.gift import export_gift
from quizzes.models import Question


class Command(BaseCommand):
    help = (
        "Write the question bank as a Moodle GIFT file; `import_gift` reads it back as the "
        "same questions (domain, lessons, facts, units ride in '// coldstart:' comments)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--origin", choices=["browser", "gift", "file", "all"], default="all")
        parser.add_argument("--out", default=None, help="Output file (default: stdout).")

    def handle(self, *args, origin: str, out: str | None, **options):
        questions = Question.objects.filter(is_active=True).order_by("domain", "slug")
        if origin != "all":
            questions = questions.filter(origin=origin)
        questions = list(questions.only("slug", "spec", "domain"))
        text = export_gift(questions)
        if out is None:
            self.stdout.write(text, ending="")
            return
        Path(out).write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {len(questions)} questions to {out}")
