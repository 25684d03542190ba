"""The site's URLs plus the benchmark's bare view (used only while the benchmark runs)."""

from django.urls import path

from partysite.urls import urlpatterns as site_urlpatterns

from .bare import bare_list

urlpatterns = [path("bench/bare/", bare_list, name="bench_bare"), *site_urlpatterns]
