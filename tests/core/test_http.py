"""The client's address (core/http.py), as the audit trail, the rate limiters and the log-in lockout read it."""

from axes.helpers import get_client_ip_address

from core.http import client_ip


def test_client_ip_ignores_forwarded_for_unless_behind_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.AUDIT_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.1"
    settings.AUDIT_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.7"  # not the address the client wrote


def test_client_ip_is_none_without_an_address(rf):
    """Not a made-up string: Axes stores it in an inet column on PostgreSQL (force_login has no address)."""
    request = rf.get("/")
    request.META.pop("REMOTE_ADDR", None)
    assert client_ip(request) is None


def test_the_log_in_lockout_reads_the_same_address(rf, settings):
    """Axes (AXES_CLIENT_IP_CALLABLE) counts failures under the address the audit trail logs."""
    settings.AUDIT_TRUSTED_PROXIES = 1
    request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert get_client_ip_address(request) == client_ip(request) == "203.0.113.7"
