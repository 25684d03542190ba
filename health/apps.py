from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    verbose_name = "政治体检"

    def ready(self):
        from branches import panels

        from .branch_panels import dues_and_health_panel

        panels.register(dues_and_health_panel)  # links from the branch page to dues, checks and rubric
        from members.corrections import CORRECTIONS

        from .corrections import checks_withdraw

        CORRECTIONS.append(checks_withdraw)  # a leaving or transfer recorded late (docs/rules/history.md)
