from django.urls import path

from . import paper, views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard_home, name="home"),
    path("branch/<str:code>/", views.dashboard, name="dashboard"),
    path("branch/<str:code>/print/", paper.dashboard_print, name="print"),
    path("branch/<str:code>/print/docx/", paper.dashboard_docx, name="print_docx"),
    path("branch/<str:code>/jobs/", views.job_start, name="job_start"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("reminders/", views.reminders, name="reminders"),
]
