from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "报表"

    def ready(self):
        from branches import panels

        from .branch_panels import reports_panel

        panels.register(reports_panel)  # a link from the branch page to its dashboard
