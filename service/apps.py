from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = "在职党员报到与为民服务"

    def ready(self):
        from branches import panels

        from .branch_panels import service_panel

        panels.register(service_panel)  # a link from a branch page to its board, registrations and posts
