from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "三会一课与活动"
