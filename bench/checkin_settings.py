"""Settings of the check-in benchmark's gunicorn: the site's own, plus the bare view's URL, without debug."""

from partysite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.checkin_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
