from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.gift import GiftDefaults, import_gift_text


class Command(BaseCommand):
    help = (
        "Import a Moodle GIFT file into the question bank (origin=gift); all or nothing. "
        "Unsupported constructs are reported with their line."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")
        parser.add_argument("--domain", default="", help="Domain for questions without one.")
        parser.add_argument("--difficulty", default="", help="Difficulty when none is given.")
        parser.add_argument(
            "--lessons", default="", help="Comma-separated lesson slugs when none are given."
        )

    def handle(
        self, *args, file: str, check: bool, domain: str, difficulty: str, lessons: str, **o
    ):
        path = Path(file)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise CommandError(f"{file}: file not found") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 ({exc.reason}); save it as UTF-8") from None
        defaults = GiftDefaults(
            domain=domain,
            difficulty=difficulty,
            lessons=[s.strip() for s in lessons.split(",") if s.strip()],
        )
        result = import_gift_text(text, path.name, defaults=defaults, check=check)
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"error: {error}")
            raise CommandError(
                f"{len(result.errors)} error(s) in {path.name}; nothing was imported"
            )
        if check:
            self.stdout.write(f"{path.name} OK: {len(result.specs)} questions")
            return
        self.stdout.write(
            f"imported {path.name}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
