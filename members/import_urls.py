"""URLs of the roster's Excel import and export, included under ``members/import/``."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.import_page, name="import"),
    path("confirm/", import_views.import_confirm, name="import_confirm"),
    path("template.xlsx", import_views.import_template, name="import_template"),
    path("export.xlsx", import_views.roster_export, name="roster_export"),
]
