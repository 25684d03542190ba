from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "三会一课与活动"

    def ready(self):
        from members.seeding import SEED_EXTENSIONS

        from .seeding import seed_activity_year

        if seed_activity_year not in SEED_EXTENSIONS:
            SEED_EXTENSIONS.append(seed_activity_year)  # seed_demo adds a year of activities and attendance
