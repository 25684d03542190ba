"""URLs of the roster's Excel import and export, included under ``members/import/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_page, name="import"),
    path("confirm/", views.import_confirm, name="import_confirm"),
    path("template.xlsx", views.import_template, name="import_template"),
    path("export.xlsx", views.roster_export, name="roster_export"),
]
