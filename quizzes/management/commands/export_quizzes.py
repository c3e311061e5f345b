from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.bank import dump_yaml, export_files, export_yaml


class Command(BaseCommand):
    help = (
        "Write the question bank as content/quizzes/ YAML (the import format), e.g. to commit "
        "questions authored in the browser."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--origin",
            choices=["browser", "gift", "file", "all"],
            default="all",
            help="Which questions to export (default: all active questions).",
        )
        parser.add_argument(
            "--out",
            default=None,
            help="A .yaml file for one document, or a directory for one file per source "
            "(file questions keep their file name; browser.yaml, gift.yaml). Default: stdout.",
        )

    def handle(self, *args, origin: str, out: str | None, **options):
        if out is None:
            self.stdout.write(export_yaml(origin), ending="")
            return
        target = Path(out)
        if target.suffix in (".yaml", ".yml"):
            target.parent.mkdir(parents=True, exist_ok=True)
            questions = [q for rows in export_files(origin).values() for q in rows]
            target.write_text(dump_yaml({"questions": questions}), encoding="utf-8")
            self.stdout.write(f"wrote {len(questions)} questions to {target}")
            return
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} is a file; give a directory or a .yaml file name")
        target.mkdir(parents=True, exist_ok=True)
        files = export_files(origin)
        for name, questions in files.items():
            (target / name).write_text(dump_yaml({"questions": questions}), encoding="utf-8")
            self.stdout.write(f"wrote {len(questions)} questions to {target / name}")
        if not files:
            self.stdout.write(f"no questions to export (origin: {origin})")
