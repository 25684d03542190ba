"""The community secretary's pages: the board of requests, one request (dispatch, note, close), grids and
posts with each grid's QR poster, registrations (members' and units'), a request entered for a resident.

Who may open what (docs/rules/service.md, "Who may do what"): the grids, posts and teams (setup) need
``manage_branch`` on the community; a grid head (``dispatch_requests``) also has the board, a request,
dispatching, notes, closing and the posters; a grid worker (``serve_community``) the board, a request, notes
and a request entered for a resident. 404 outside the subtrees where the user reads or serves
(``access.service_paths``), 403 inside without. The registrations are for those who may read the branch
(phones masked without view_sensitive)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activities.views_checkin import qr_svg
from branches import access
from branches.models import Branch
from core.masking import mask_phone
from core.periods import Period
from members.models import Member

from . import selectors, services
from .errors import ServiceError
from .feedback import cards_of_branch, previous_quarter
from .forms import AskForm, NameForm, UnitForm
from .models import (
    COMMUNITY_KINDS,
    Grid,
    ServicePost,
    ServiceRequest,
    ServiceRequestPhoto,
    TeamMembership,
    UnitRegistration,
    VolunteerTeam,
)

MANAGE = access.MANAGE
SERVING = (access.MANAGE, access.DISPATCH, access.SERVE)  # the board, a request, a note, entering, photos
DISPATCHING = (access.MANAGE, access.DISPATCH)  # dispatching, closing, the posters


def _pk(value: str) -> int | None:
    """A primary key posted or in the query string; None unless a plain number a database holds (a crafted
    one of 30 digits would overflow the integer column)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def _community_or_404(user, code: str, perms=SERVING) -> Branch:
    return access.service_branch_or_404(user, perms, code=code)


def _managed_request(user, pk: int, perms=SERVING) -> ServiceRequest:
    """A request of a community where the user reads or serves (404 outside), with one of ``perms`` there
    (403 without)."""
    queryset = ServiceRequest.objects.filter(access.service_scope_q(user, "community__path")).select_related(
        "community", "grid", "assignee", "team"
    )
    request = get_object_or_404(queryset, pk=pk)
    access.deny_unless(user, perms, request.community)
    return request


def _rights(user, community: Branch) -> dict:
    """What the page may link to: no link the user would be refused."""
    return {
        "may_manage": access.has_perm(user, MANAGE, community),
        "may_dispatch_here": access.has_any(user, DISPATCHING, community),
        "may_read": access.can_view(user, community),
    }


@login_required
@require_GET
def serving(request):
    """The menu's 诉求看板: the board of the community where the user serves or manages, or a list of them."""
    communities = list(access.top_branches(request.user, access.DISPATCH)) + list(
        access.top_branches(request.user, access.SERVE)
    )
    if not communities:
        communities = [b for b in access.top_branches(request.user, MANAGE) if b.kind in COMMUNITY_KINDS]
    unique = list({b.pk: b for b in communities}.values())
    if len(unique) == 1:
        return redirect("service:board", code=unique[0].code)
    if not unique:
        raise Http404(_("您没有负责为民服务的社区"))
    return render(request, "service/serving.html", {"communities": unique})


@login_required
def board(request, code: str):
    """Requests by status and grid, overdue dispatches flagged; filtered by ?grid= and ?status=."""
    community = _community_or_404(request.user, code)
    grid_id = request.GET.get("grid", "")
    status = request.GET.get("status", "")
    grid_id = _pk(grid_id)
    status = status if status in ServiceRequest.Status.values else None
    data = selectors.board(community=community, grid_id=grid_id, status=status, now=timezone.now())
    statuses = [(s, ServiceRequest.Status(s).label, data.totals.get(s, 0)) for s in selectors.BOARD_STATUSES]
    grid_rows = [(g, [(label, data.counts.get((g.pk, s), 0)) for s, label, _n in statuses]) for g in data.grids]
    context = {
        "community": community,
        "board": data,
        "statuses": statuses,
        "grid_rows": grid_rows,
        "grid_id": grid_id,
        "status": status,
        **_rights(request.user, community),
    }
    return render(request, "service/board.html", context)


@login_required
def request_detail(request, pk: int):
    """One request: the resident (phone masked without view_sensitive), its steps, dispatch, note, close."""
    item = _managed_request(request.user, pk)
    name, phone = services.resident_of(item)
    sensitive = access.can_view_sensitive(request.user, item.community)
    candidates = [
        r for r in selectors.registered_members(community=item.community, today=timezone.localdate()) if r.current
    ]
    context = {
        "item": item,
        "resident_name": name,
        "resident_phone": phone if sensitive else mask_phone(phone),
        "events": list(item.events.select_related("by", "member")),
        "photos": list(item.photos.all()),
        "candidates": candidates,
        **_rights(request.user, item.community),
        "may_dispatch": item.status in ServiceRequest.OPEN,
        "teams": list(VolunteerTeam.objects.filter(community=item.community, is_active=True).select_related("leader")),
        "may_close": item.status != ServiceRequest.Status.CLOSED,
        "now": timezone.now(),
    }
    return render(request, "service/request.html", context)


def _act(request, item, action, done: str, **kwargs):
    try:
        action(request=item, by=request.user, **kwargs)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("service:request", pk=item.pk)


@login_required
@require_POST
def dispatch(request, pk: int):
    """派单 to a registered member (``member``) or to a volunteer team of the community (``team``)."""
    item = _managed_request(request.user, pk, DISPATCHING)
    member_id, team_id = request.POST.get("member", ""), request.POST.get("team", "")
    member = Member.objects.filter(pk=_pk(member_id)).first() if _pk(member_id) else None
    team = VolunteerTeam.objects.select_related("leader").filter(pk=_pk(team_id)).first() if _pk(team_id) else None
    if member is None and team is None:
        messages.error(request, _("请选择派单对象（已报到的党员或志愿服务队）"))
        return redirect("service:request", pk=item.pk)
    return _act(request, item, services.request_dispatch, _("已派单"), member=None if team else member, team=team)


@login_required
@require_POST
def note(request, pk: int):
    item = _managed_request(request.user, pk)
    return _act(request, item, services.request_note, _("已记录办理进展"), text=request.POST.get("note", ""))


@login_required
@require_POST
def close(request, pk: int):
    item = _managed_request(request.user, pk, DISPATCHING)
    return _act(request, item, services.request_close, _("已关闭该诉求"), reason=request.POST.get("reason", ""))


@login_required
def setup(request, code: str):
    """The community's grids (each with its QR poster), service posts and volunteer teams; adding one."""
    community = _community_or_404(request.user, code, (MANAGE,))
    if request.method == "POST" and request.POST.get("kind") in ("team_member", "team_leave"):
        _team_member_change(request, community)
        return redirect("service:setup", code=community.code)
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _setup_add(community, data, request.POST.get("leader", ""), request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已添加“%(name)s”") % {"name": data["name"]})
            return redirect("service:setup", code=community.code)
    elif request.method == "POST":
        messages.error(request, _("请填写名称"))
    today = timezone.localdate()
    context = {
        "community": community,
        "grids": list(Grid.objects.filter(community=community)),
        "posts": list(ServicePost.objects.filter(community=community)),
        "teams": _teams_with_members(community),
        "leaders": [r for r in selectors.registered_members(community=community, today=today) if r.current],
    }
    return render(request, "service/setup.html", context)


def _teams_with_members(community: Branch) -> list[VolunteerTeam]:
    """The community's teams, each with ``current`` (its open memberships): two queries."""
    teams = list(VolunteerTeam.objects.filter(community=community).select_related("leader"))
    rows = TeamMembership.objects.filter(team__community=community, left_on=None).select_related("member")
    by_team: dict[int, list] = {}
    for row in rows.order_by("member__name"):
        by_team.setdefault(row.team_id, []).append(row)
    for team in teams:
        team.current = by_team.get(team.pk, [])
    return teams


def _team_member_change(request, community: Branch) -> None:
    """Add a registered member to one of the community's teams, or record that a member left one."""
    post = request.POST
    try:
        if post["kind"] == "team_member":
            team_id, member_id = post.get("team", ""), post.get("member", "")
            team = VolunteerTeam.objects.filter(community=community, pk=_pk(team_id)).first() if _pk(team_id) else None
            member = Member.objects.filter(pk=_pk(member_id)).first() if _pk(member_id) else None
            if team is None or member is None:
                raise ServiceError("请选择服务队和队员（已报到的党员）", code="no_member", field="member")
            services.team_member_add(team=team, member=member, by=request.user)
            messages.success(request, _("已将%(name)s加入“%(team)s”") % {"name": member.name, "team": team.name})
        else:
            pk = post.get("membership", "")
            rows = TeamMembership.objects.filter(team__community=community).select_related("member")
            row = rows.filter(pk=_pk(pk)).first() if _pk(pk) else None
            if row is None:
                raise ServiceError("没有这名队员", code="no_membership")
            services.team_member_remove(membership=row, by=request.user)
            messages.success(request, _("已记录%(name)s退出服务队") % {"name": row.member.name})
    except ServiceError as exc:
        messages.error(request, exc.message)


def _setup_add(community, data: dict, leader_id: str, by) -> None:
    if data["kind"] == "grid":
        services.grid_create(community=community, name=data["name"], by=by)
    elif data["kind"] == "post":
        services.post_create(community=community, name=data["name"], description=data["description"], by=by)
    else:
        leader = Member.objects.filter(pk=_pk(leader_id)).first() if _pk(leader_id) else None
        if leader is None:
            raise ServiceError("请选择队长（已报到的党员）", code="no_leader", field="leader")
        services.team_create(community=community, name=data["name"], leader=leader, by=by)


@login_required
def poster(request, pk: int):
    """A grid's printable QR poster: residents scan it to ask (the activities' QR code)."""
    grids = Grid.objects.select_related("community").filter(access.service_scope_q(request.user, "community__path"))
    grid = get_object_or_404(grids, pk=pk)
    access.deny_unless(request.user, DISPATCHING, grid.community)
    url = request.build_absolute_uri(reverse("service:ask", args=[grid.poster_key]))
    context = {"grid": grid, "qr": qr_svg(url), "url": url, **_rights(request.user, grid.community)}
    return render(request, "service/poster.html", context)


@login_required
def registrations(request, code: str):
    """Who reported to this community (by grid and post) and where this branch's members reported."""
    branch = _community_or_404(request.user, code, access.READ_PERMS)
    today = timezone.localdate()
    sensitive = access.can_view_sensitive(request.user, branch)
    manages = access.has_perm(request.user, MANAGE, branch)
    form = UnitForm(request.POST or None, user=request.user)
    if request.method == "POST":
        access.require(request.user, MANAGE, branch)
        if form.is_valid():
            unit = form.cleaned_data["unit"]
            try:
                services.unit_registration_create(
                    unit=unit,
                    community=branch,
                    contact_name=form.cleaned_data["contact_name"],
                    contact_phone=form.cleaned_data["contact_phone"],
                    by=request.user,
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("已登记%(name)s报到") % {"name": unit.name})
                return redirect("service:registrations", code=branch.code)
    members = selectors.registered_members(community=branch, today=today)
    for row in members:
        row.phone_shown = row.member.phone if sensitive else mask_phone(row.member.phone) if row.member.phone else ""
    units = list(UnitRegistration.objects.filter(community=branch, ended_on=None).select_related("unit"))
    quarter = previous_quarter(today)
    for row in units:
        row.phone_shown = row.contact_phone if sensitive else mask_phone(row.contact_phone)
    context = {
        "branch": branch,
        "members": members,
        "units": units,
        "elsewhere": selectors.registrations_of_members(branch=branch, period=Period.containing("year", today)),
        "cards": list(cards_of_branch(branch=branch, period=quarter)),
        "quarter": quarter,
        "manages": manages,
        "form": form,
    }
    return render(request, "service/registrations.html", context)


@login_required
def enter(request, code: str):
    """A request entered for a resident by the secretary, a grid head or a grid worker of the community."""
    community = _community_or_404(request.user, code)
    grids = list(Grid.objects.filter(community=community, is_active=True))
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grid = next((g for g in grids if str(g.pk) == request.POST.get("grid", "")), None)
        if grid is None:
            form.add_error(None, _("请选择网格"))
        else:
            try:
                item, _secret = services.request_create(
                    grid=grid, by=request.user, photos=request.FILES.getlist("photos"), **form.cleaned_data
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已登记，受理编号 %(receipt)s") % {"receipt": item.receipt})
                return redirect("service:request", pk=item.pk)
    return render(request, "service/enter.html", {"community": community, "grids": grids, "form": form})


@login_required
@require_GET
def photo(request, pk: int):
    """A request's photo, from the private storage: for those who see its request's page (the community's
    secretary, grid heads and grid workers) and its member in charge (404 for anyone else outside the
    community's subtree, 403 inside without one of those rights)."""
    mine = Q(request__assignee__user_id=request.user.pk)
    photos = ServiceRequestPhoto.objects.select_related("request__community", "request__assignee")
    item = get_object_or_404(
        photos.filter(access.service_scope_q(request.user, "request__community__path") | mine), pk=pk
    )
    if item.request.assignee is None or item.request.assignee.user_id != request.user.pk:
        access.deny_unless(request.user, SERVING, item.request.community)
    try:
        handle = item.file.open("rb")  # the private storage: no URL reaches it but this view
    except FileNotFoundError:
        raise Http404(_("照片已不存在")) from None
    response = FileResponse(handle, filename=f"{item.request.receipt}-{item.pk}.{item.file.name.rsplit('.', 1)[-1]}")
    response["Cache-Control"] = "private, max-age=3600"
    return response
