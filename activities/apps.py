from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "三会一课与活动"

    def ready(self):
        from members.corrections import CORRECTIONS

        from .corrections import expected_lists_correct

        CORRECTIONS.append(expected_lists_correct)  # a leaving or transfer recorded late (docs/rules/history.md)

        from branches import panels

        from .branch_panels import meeting_rules_panel

        panels.register(meeting_rules_panel)  # probation decisions awaiting approval, exemptions (issue 14)
