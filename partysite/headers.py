"""Content-Security-Policy and Permissions-Policy on every response (Django 5.2 sets neither).

The site's pages load scripts and styles only from its own static files: no inline ``<script>``,
no ``on…=`` handler, no ``style="…"`` attribute (tests/test_security_settings.py checks
templates/), so the policy needs neither ``'unsafe-inline'`` nor nonces. The QR codes are inline
SVG with presentation attributes, which the policy allows. No page uses the camera, the
microphone or the position (members scan the QR code with WeChat's own scanner), so the
Permissions-Policy turns them and the other powerful features off.

A view may set its own ``Content-Security-Policy`` header; it is then left as it is.
"""

from __future__ import annotations

from django.conf import settings

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "magnetometer",
        "gyroscope",
        "accelerometer",
        "display-capture",
    )
)


def content_security_policy() -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in settings.CONTENT_SECURITY_POLICY.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
