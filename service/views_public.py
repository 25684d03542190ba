"""The residents' pages, without an account: the request form a grid's QR poster opens (rate-limited per
client IP and per phone number), following a request by its receipt number and secret (rate-limited per
IP), and the one-time rating link. A resident reads only their own request: the receipt number with its
secret, or the rating link's token."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.masking import mask_phone
from core.ratelimit import limited_response, rate_limit, rate_limit_hit
from members import crypto

from . import services
from .errors import ServiceError
from .forms import AskForm, RateForm, TrackForm
from .models import Grid, ServiceRequest

# The steps a resident sees (not who handled it inside the branch).
PUBLIC_STEPS = ("created", "dispatched", "accepted", "claimed", "completed", "rated", "reopened", "closed")


@rate_limit("service_ask", key="ip")
def ask(request, key: str):
    """群众点单: category, text, name and phone; the receipt number and secret shown once."""
    grid = get_object_or_404(Grid.objects.select_related("community"), poster_key=key, is_active=True)
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limit, window = settings.RATE_LIMITS["service_ask_phone"]
        who = services.phone_key(form.cleaned_data["phone"])
        allowed, retry_after = rate_limit_hit(
            scope="service_ask_phone", who=who, limit=limit, window=window, now=time.time()
        )
        if not allowed:
            return limited_response(request, retry_after=retry_after, json=False)
        try:
            item, secret = services.request_create(
                grid=grid, photos=request.FILES.getlist("photos"), **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "service/asked.html", {"item": item, "secret": secret, "grid": grid})
    return render(request, "service/ask.html", {"grid": grid, "form": form})


@rate_limit("service_track", key="ip")
def track(request):
    """The resident follows their request: receipt number and secret (POST, so the secret is in no log)."""
    form = TrackForm(request.POST or None)
    item = None
    if request.method == "POST" and form.is_valid():
        try:
            item = services.request_find(**form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
    context = {"form": form, "item": item}
    if item is not None:
        _name, phone = services.resident_of(item)
        context["phone"] = mask_phone(phone)
        context["steps"] = [e for e in item.events.all() if e.kind in PUBLIC_STEPS]
        if item.status == ServiceRequest.Status.DONE and item.rating_digest:
            context["rating_token"] = services.rating_token(item)
    return render(request, "service/track.html", context)


def _rated_request(pk: int, token: str) -> ServiceRequest:
    item = get_object_or_404(ServiceRequest.objects.select_related("grid"), pk=pk)
    if item.status != ServiceRequest.Status.DONE or item.rating_digest != crypto.digest("service-rate:" + token):
        raise Http404(_("评价链接无效或已使用"))
    return item


def rate(request, pk: int, token: str):
    """群众评议 through the one-time link: 1 to 5 stars and a comment."""
    item = _rated_request(pk, token)
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_rate(request=item, token=token, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            item.refresh_from_db()
            return render(request, "service/rated.html", {"item": item})
    return render(request, "service/rate.html", {"item": item, "form": form})
