from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "三会一课与活动"

    def ready(self):
        from members.corrections import CORRECTIONS

        from .corrections import expected_lists_correct

        CORRECTIONS.append(expected_lists_correct)  # a leaving or transfer recorded late (docs/rules/history.md)
