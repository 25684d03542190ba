from django.urls import path

from . import paper, views, views_checkin, views_manage, views_member

app_name = "activities"
urlpatterns = [
    path("", views.index, name="index"),
    path("workbench/", views.workbench, name="workbench"),
    path("list/", views.activity_list, name="list"),
    path("compliance/", views.compliance, name="compliance"),
    path("mine/", views_member.mine, name="mine"),
    path("new/", views_manage.create, name="create"),
    path("c/<str:token>/", views_checkin.checkin, name="checkin"),
    path("leave/<int:leave_pk>/withdraw/", views_member.leave_withdraw, name="leave_withdraw"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views_manage.edit, name="edit"),
    path("<int:pk>/cancel/", views_manage.cancel, name="cancel"),
    path("<int:pk>/hold/", views_manage.hold, name="hold"),
    path("<int:pk>/minutes/", views_manage.minutes, name="minutes"),
    path("<int:pk>/resolutions/", views_manage.resolution_add, name="resolution_add"),
    path("<int:pk>/resolutions/<int:resolution_pk>/delete/", views_manage.resolution_delete, name="resolution_delete"),
    path("<int:pk>/files/", views_manage.file_upload, name="file_upload"),
    path("<int:pk>/files/<int:file_pk>/", views.file_download, name="file"),
    path("<int:pk>/files/<int:file_pk>/delete/", views_manage.file_delete, name="file_delete"),
    path("<int:pk>/check-in/", views_manage.manual_check_in, name="manual_check_in"),
    path("<int:pk>/hours/", views_manage.hours, name="hours"),
    path("<int:pk>/leave/", views_member.leave_ask, name="leave_ask"),
    path("<int:pk>/leave/<int:leave_pk>/decide/", views_manage.leave_decide, name="leave_decide"),
    path("<int:pk>/sign-up/", views_member.sign_up, name="sign_up"),
    path("<int:pk>/screen/", views_checkin.checkin_screen, name="checkin_screen"),
    path("<int:pk>/screen/live/", views_checkin.checkin_screen_live, name="checkin_screen_live"),
    path("<int:pk>/poster/", views_checkin.poster, name="poster"),
    path("<int:pk>/fixed-qr/", views_manage.fixed_qr, name="fixed_qr"),
    path("<int:pk>/sign-in-sheet/", paper.signin_sheet, name="signin_sheet"),
    path("<int:pk>/record.docx", paper.record_docx, name="record_docx"),
]
