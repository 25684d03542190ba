"""The site's URLs plus the bare insert of the check-in benchmark (served only while it runs)."""

from django.urls import path

from partysite.urls import urlpatterns as site_urlpatterns

from .checkin_bare import BARE_PATH, bare_insert

urlpatterns = [path(BARE_PATH.lstrip("/"), bare_insert, name="bench_bare_insert"), *site_urlpatterns]
