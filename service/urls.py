from django.urls import path

from . import views_end, views_figures, views_manage, views_member, views_public

app_name = "service"

urlpatterns = [
    # the member (a phone)
    path("me/", views_member.mine, name="mine"),
    path("me/register/", views_member.register, name="register"),
    path("me/renew/", views_member.renew, name="renew"),
    path("me/end/", views_end.end_mine, name="end_mine"),
    path("me/communities/", views_member.communities, name="communities"),
    path("requests/<int:pk>/claim/", views_member.claim, name="claim"),
    path("requests/<int:pk>/accept/", views_member.accept, name="accept"),
    path("requests/<int:pk>/complete/", views_member.complete, name="complete"),
    # the community's secretary
    path("serving/", views_manage.serving, name="serving"),
    path("requests/<int:pk>/", views_manage.request_detail, name="request"),
    path("requests/<int:pk>/dispatch/", views_manage.dispatch, name="dispatch"),
    path("requests/<int:pk>/note/", views_manage.note, name="note"),
    path("requests/<int:pk>/close/", views_manage.close, name="close"),
    path("grids/<int:pk>/poster/", views_manage.poster, name="poster"),
    path("photos/<int:pk>/", views_manage.photo, name="photo"),
    path("registrations/<int:pk>/end/", views_end.end_registration, name="registration_end"),
    path("units/<int:pk>/end/", views_end.end_unit, name="unit_end"),
    path("<str:code>/board/", views_manage.board, name="board"),
    path("<str:code>/setup/", views_manage.setup, name="setup"),
    path("<str:code>/registrations/", views_manage.registrations, name="registrations"),
    path("<str:code>/enter/", views_manage.enter, name="enter"),
    path("<str:code>/figures/", views_figures.figures, name="figures"),
    # residents, without an account
    path("ask/<str:key>/", views_public.ask, name="ask"),
    path("track/", views_public.track, name="track"),
    path("rate/<int:pk>/<str:token>/", views_public.rate, name="rate"),
]
