from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from members import login_views, password_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", login_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", password_views.account, name="account"),
    path("accounts/password/", password_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/devices/<str:ref>/end/", password_views.device_end, name="device_end"),
    path("accounts/devices/end-all/", password_views.devices_end_all, name="devices_end_all"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("branches/", include("branches.urls")),
    path("members/", include("members.urls")),
    path("activities/", include("activities.urls")),
    path("api/v1/", include("activities.api_urls")),
    path("service/", include("service.urls")),
    path("health/", include("health.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]

# No /media/ URL, not even in development: nothing public is kept under MEDIA_ROOT, and files
# with personal data are in the private storage (branches/files.py), served by views that
# check access.

# Errors under /api/ answer the API's JSON (activities/api.py), elsewhere Django's pages.
handler400 = "activities.api.bad_request"
handler500 = "activities.api.server_error"
