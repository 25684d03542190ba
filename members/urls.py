from django.urls import include, path

from . import activation_views, login_views, password_views, position_views, records_views, views
from .dues import views as dues_views
from .dues import views_month as dues_month_views
from .dues import views_policy as dues_policy_views

app_name = "members"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/position-code/", activation_views.confirm_position, name="confirm_position"),
    path("import/", include("members.roster_io.urls")),
    path("", views.roster, name="list"),
    path("new/", views.create, name="create"),
    path("activate/", login_views.activate, name="activate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/activation-code/", activation_views.activation_code, name="activation_code"),
    path("<int:pk>/position-code/", activation_views.position_code, name="position_code"),
    path("<int:pk>/password-reset/", password_views.password_reset, name="password_reset"),
    path("positions/<str:code>/appoint/", position_views.appoint, name="position_appoint"),
    path("positions/<int:pk>/end/", position_views.end, name="position_end"),
    # 党费
    path("dues/<str:code>/", dues_views.branch_dues, name="dues_branch"),
    path("dues/<str:code>/generate/", dues_views.generate, name="dues_generate"),
    path("dues/<str:code>/month/", dues_month_views.record_month, name="dues_record_month"),
    path("dues/<str:code>/arrears/", dues_views.arrears, name="dues_arrears"),
    path("<int:pk>/dues/<int:year>/<int:month>/", dues_views.record, name="dues_record"),
    path("<int:pk>/income/", dues_views.income, name="income"),
    path("dues/<str:code>/farmer-rate/", dues_policy_views.farmer_rate, name="dues_farmer_rate"),
    path("<int:pk>/dues-reductions/", dues_policy_views.reductions, name="dues_reductions"),
    path("dues-import/", dues_views.import_upload, name="dues_import"),
    path("dues-import/confirm/", dues_views.import_confirm, name="dues_import_confirm"),
    path("dues-import/template.xlsx", dues_views.import_template, name="dues_import_template"),
    # 表彰与处分
    path("<int:pk>/commendations/new/", records_views.commendation_create, name="commendation_create"),
    path("<int:pk>/sanctions/new/", records_views.sanction_create, name="sanction_create"),
    path("<int:pk>/lapse-notes/new/", records_views.lapse_note_create, name="lapse_note_create"),
]
