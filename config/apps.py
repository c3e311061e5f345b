from django.apps import AppConfig


class ColdstartConfig(AppConfig):
    """The project package as an app, only so its deployment checks are registered."""

    name = "config"
    label = "coldstart"
    verbose_name = "Coldstart deployment"

    def ready(self) -> None:
        from config import checks  # noqa: F401 - importing registers the checks
