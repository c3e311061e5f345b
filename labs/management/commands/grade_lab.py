import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs.submission_files import InvalidFiles, read_submission_dir


def read_dir_or_fail(directory: str) -> dict[str, str]:
    folder = Path(directory)
    if not folder.is_dir():
        raise CommandError(f"{directory}: not a directory")
    try:
        return read_submission_dir(folder)
    except InvalidFiles as exc:
        raise CommandError(f"{directory}: {exc.field}: {exc.message}") from None


class Command(BaseCommand):
    help = (
        "Grade a directory of submission files against a lab's checks, synchronously, in the "
        "sandbox; prints the result contract."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The lab folder's name under content/labs/.")
        parser.add_argument("directory", help="The submission: provision.py and handler files.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, slug: str, directory: str, json: bool, **options):
        from labs.sandbox import engine

        lab_dir = Path(settings.CONTENT_DIR) / "labs" / slug
        if not (lab_dir / "checks.py").is_file():
            raise CommandError(f"no lab {slug!r}: {lab_dir}/checks.py does not exist")
        result = engine.grade(lab_dir, read_dir_or_fail(directory))
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(summary(result))


def _dumps(result: dict) -> str:
    return json.dumps(result, indent=2, sort_keys=True, default=str)


def summary(result: dict) -> str:
    lines = []
    if result.get("status") == "error":
        lines.append(f"grader error: {result.get('reason')}")
    elif not result.get("gradable", True):
        lines.append(f"not gradable: {result.get('reason')}")
    else:
        lines.append(f"score {_num(result.get('score'))} / {_num(result.get('max_score'))}")
    for check in result.get("checks") or []:
        mark = "PASS" if check.get("passed") else "FAIL"
        lines.append(
            f"  {mark} {check.get('name')} "
            f"({_num(check.get('points'))}/{_num(check.get('max_points'))})"
            + (f": {check['message']}" if check.get("message") else "")
        )
        if check.get("hint") and not check.get("passed"):
            lines.append(f"       hint: {check['hint']}")
    return "\n".join(lines)


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)
