from django.core.management.base import BaseCommand

from accounts.services import ensure_demo_accounts


class Command(BaseCommand):
    help = "Create the demo learner and instructor (passwords are printed once, at creation)."

    def handle(self, *args, **options):
        for account in ensure_demo_accounts():
            if account.password:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"demo {account.role}: username {account.username!r} password {account.password!r}"
                        " (shown once; keep it)"
                    )
                )
            else:
                self.stdout.write(
                    f"demo {account.role}: username {account.username!r} (exists; password unchanged)"
                )
