from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel every app uses and that is not the tree; it imports nothing of the project."""

    name = "core"
    verbose_name = "基础"

    def ready(self):
        from . import devices  # noqa: F401 - connects the log-in's device note (user_logged_in)
