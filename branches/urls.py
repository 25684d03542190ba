from django.urls import path

from . import views

app_name = "branches"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("search.json", views.search, name="search"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/new/", views.create_child, name="create_child"),
    path("<str:code>/rename/", views.rename, name="rename"),
    path("<str:code>/move/", views.move, name="move"),
    path("<str:code>/dissolve/", views.dissolve, name="dissolve"),
]
