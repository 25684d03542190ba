from django.urls import path

from . import views

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
]
