from django.urls import path

from . import rubric_views, views

app_name = "health"
urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.me, name="me"),
    path("branches/<str:code>/", views.branch, name="branch"),
    path("branches/<str:code>/overview/", views.review, name="review"),
    path("branches/<str:code>/compute/", views.compute, name="compute"),
    path("branches/<str:code>/submit/", views.submit, name="submit"),
    path("branches/<str:code>/approve/", views.approve, name="approve"),
    path("branches/<str:code>/return/", views.return_, name="return"),
    path("branches/<str:code>/publish/", views.publish, name="publish"),
    path("checks/<int:pk>/adjust/", views.adjust, name="adjust"),
    path("branches/<str:code>/rubric/", rubric_views.show, name="rubric"),
    path("branches/<str:code>/rubric/edit/", rubric_views.edit, name="rubric_edit"),
]
