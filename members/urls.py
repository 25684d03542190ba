from django.urls import path

from . import position_views, views

app_name = "members"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("", views.roster, name="list"),
    path("new/", views.create, name="create"),
    path("activate/", views.activate, name="activate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("positions/<str:code>/appoint/", position_views.appoint, name="position_appoint"),
    path("positions/<int:pk>/end/", position_views.end, name="position_end"),
]
