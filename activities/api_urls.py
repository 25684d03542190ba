"""JSON API of the site, mounted at ``/api/v1/``."""

from django.urls import path

from . import api

app_name = "api"
urlpatterns = [
    path("check-ins", api.check_ins, name="check_ins"),
]
