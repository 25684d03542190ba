"""The member's pages (a phone): 我的报到, the requests they may take in their grid, their own requests and
hours this year; reporting, renewing, claiming, accepting and completing (each through service.services)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activities.views_common import own_member
from branches import picker
from core.periods import Period
from members.models import Member

from . import rules, selectors, services
from .errors import ServiceError
from .forms import COMMUNITIES, CompleteForm, RegisterForm
from .models import Grid, Registration, ServicePost, ServiceRequest


@login_required
def mine(request):
    """我的报到 and my requests: a constant number of queries whatever the member's history."""
    member = own_member(request.user)
    today = timezone.localdate()
    registration = (
        Registration.objects.filter(member=member, ended_on=None).select_related("community", "grid", "post").first()
    )
    current = registration is not None and rules.registration_current(registration.confirmed_on, today)
    year = Period.containing("year", today)
    context = {
        "member": member,
        "registration": registration,
        "current": current,
        "renewal_due": rules.renewal_due_on(registration.confirmed_on) if registration else None,
        "pool": selectors.pool_for(registration) if current else [],
        "my_requests": selectors.requests_of(member),
        "hours": selectors.completed_hours(member_ids=[member.pk], period=year).get(member.pk, 0),
        "year": year.label,
    }
    return render(request, "service/mine.html", context)


@login_required
def register(request):
    """报到 in two steps on one page: the community with the site's picker (a GET, so a reload without script
    works), then its grid and post from the community's lists (the POST). An unknown or non-community name or
    code is told under its field."""
    member = own_member(request.user)
    data = request.POST if request.method == "POST" else request.GET if "community" in request.GET else None
    form = RegisterForm(data, user=request.user)
    valid = data is not None and form.is_valid()
    community = form.cleaned_data.get("community") if data is not None else None
    if request.method == "POST" and valid:
        try:
            services.registration_create(
                member=member,
                community=community,
                grid=form.cleaned_data["grid"],
                post=form.cleaned_data["post"],
                skills=form.cleaned_data["skills"],
                by=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已向%(name)s报到") % {"name": community.name})
            return redirect("service:mine")
    grids = list(Grid.objects.filter(community=community, is_active=True)) if community else []
    posts = list(ServicePost.objects.filter(community=community, is_active=True)) if community else []
    context = {"form": form, "community": community, "grids": grids, "posts": posts}
    return render(request, "service/register.html", context)


@login_required
@require_GET
def communities(request):
    """The register page's picker: organizations that accept registrations whose name or code contains ``?q=``
    (service.forms.COMMUNITIES), for any member; JSON as ``branches:search`` answers it."""
    found = picker.search(request.user, COMMUNITIES, request.GET.get("q", ""))
    labels = picker.path_labels(request.user, found)
    results = [
        {"code": b.code, "name": b.name, "label": labels.get(b.code, b.name), "kind": b.get_kind_display()}
        for b in found
    ]
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def renew(request):
    """Confirm the registration for another half year (``SERVICE_RENEWAL_MONTHS``)."""
    member = own_member(request.user)
    registration = get_object_or_404(Registration, member=member, ended_on=None)
    services.registration_renew(registration=registration, by=request.user)
    messages.success(
        request, _("已确认报到，下次请在%(day)s前确认") % {"day": rules.renewal_due_on(registration.confirmed_on)}
    )
    return redirect("service:mine")


def _request_of_my_community(user, pk: int) -> tuple:
    """A request of the community where the user's member has an open registration (else 404)."""
    member = own_member(user)
    registration = Registration.objects.filter(member=member, ended_on=None).first()
    if registration is None:
        raise Http404(_("您尚未报到"))
    request = get_object_or_404(ServiceRequest, pk=pk, community_id=registration.community_id)
    return member, request


def _act(http_request, action, done_message: str, *, item, member):
    request = http_request
    try:
        action(request=item, member=member, by=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done_message)
    return redirect("service:mine")


@login_required
@require_POST
def claim(request, pk: int):
    member, service_request = _request_of_my_community(request.user, pk)
    return _act(request, services.request_claim, _("已领单，请尽快办理"), item=service_request, member=member)


@login_required
@require_POST
def accept(request, pk: int):
    member, service_request = _request_of_my_community(request.user, pk)
    return _act(request, services.request_accept, _("已接单，请尽快办理"), item=service_request, member=member)


@login_required
def complete(request, pk: int):
    """办结 with the hours spent (and a progress note on the way, posted without hours)."""
    member, service_request = _request_of_my_community(request.user, pk)
    if service_request.assignee_id != member.pk:
        raise Http404(_("该诉求不由您承办"))
    form = CompleteForm(request.POST or None)  # photos: request.FILES, checked by the service
    team = service_request.team
    team_members = services.team_members(team) if team is not None else []
    chosen = _chosen_participants(request) if team is not None and request.method == "POST" else None
    if request.method == "POST" and form.is_valid():
        try:
            services.request_complete(
                request=service_request,
                member=member,
                hours=form.cleaned_data["hours"],
                note=form.cleaned_data["note"],
                by=request.user,
                photos=request.FILES.getlist("photos"),
                participants=chosen,
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in ("hours", "note") else None, exc.message)
        else:
            messages.success(request, _("已办结，感谢您的服务"))
            return redirect("service:mine")
    photos = list(service_request.photos.all())
    ticked = {m.pk for m in chosen} if chosen is not None else {m.pk for m in team_members}
    context = {
        "form": form,
        "item": service_request,
        "max_hours": rules.max_hours(),
        "photos": photos,
        "team_members": [(m, m.pk in ticked) for m in team_members],
    }
    return render(request, "service/complete.html", context)


def _chosen_participants(request):
    """The team members ticked on the completion form (None when the form showed no list: all of them)."""
    if "participants_shown" not in request.POST:
        return None
    ids = {int(v) for v in request.POST.getlist("participant") if v.isascii() and v.isdigit() and len(v) < 12}
    return list(Member.objects.filter(pk__in=ids))
