from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = "在职党员报到与为民服务"

    def ready(self):
        pass
