import json

from django.core.management.base import BaseCommand

from courses.reports import build_report


class Command(BaseCommand):
    help = "Print the content report: facts, mentions, conflicts, stale mentions, unplaced sections, missing images."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", help="Print JSON (the default is a text summary)."
        )

    def handle(self, *args, **options):
        report = build_report()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        self.stdout.write(
            f"{len(report['facts'])} facts, {len(report['conflicts'])} conflicts, "
            f"{len(report['stale_mentions'])} stale mentions, "
            f"{len(report['unplaced_sections'])} unplaced sections, "
            f"{len(report['missing_images'])} missing images, "
            f"{len(report['uncovered_numbers'])} uncovered numbers"
        )
        for s in report["stale_mentions"]:
            self.stdout.write(
                f"stale: {s['note']}:{s['line']} says {s['stated']}; current {s['current']} ({s['fact']})"
            )
        for c in report["conflicts"]:
            values = "; ".join(f"{v['value']} in {', '.join(v['notes'])}" for v in c["values"])
            self.stdout.write(f"conflict: {c['fact']}: {values}")
        for u in report["unplaced_sections"]:
            self.stdout.write(f"unplaced: {u['note']}:{u['line']} {u['heading']}")
