import json

from django.core.management.base import BaseCommand

from labs.management.commands.grade_lab import read_dir_or_fail


class Command(BaseCommand):
    help = "Run a directory of submission files in a fresh sandbox without grading; prints the output and the resource inventory."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The submission: provision.py and handler files.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, directory: str, json: bool, **options):
        from labs.sandbox import engine

        result = engine.run(read_dir_or_fail(directory))
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(result.get("output") or "(no output)")
        for service, items in sorted((result.get("inventory") or {}).items()):
            for item in items:
                name = item.get("name") or item.get("id") if isinstance(item, dict) else item
                kind = item.get("type", "") if isinstance(item, dict) else ""
                self.stdout.write(f"{service}: {kind} {name}".rstrip())


def _dumps(result: dict) -> str:
    return json.dumps(result, indent=2, sort_keys=True, default=str)
