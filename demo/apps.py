from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data (``seed_demo``), composed from the other apps; no app imports it."""

    name = "demo"
    verbose_name = "演示数据"
