"""Roster pages: the list, a member's page, create, edit, transfer, leave, confirm; a
member's own page (account activation and log-in: members/login_views.py).

Members are fetched only through ``Member.objects.visible_to`` (404 outside the user's
subtree) and every change is checked with ``branches.access`` (403 without MANAGE).

Pages show ID numbers and phones masked and an age instead of the birth date, to everyone:
the full values are shown only by ``reveal`` (the member page's audited "显示", for users with
``view_sensitive``), and a member's own page shows their own birth date. The roster's search
text never travels in a URL in clear (``roster_search``).
"""

from __future__ import annotations

from auditlog.signals import accessed
from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from branches import access
from branches.params import page_number
from core.masking import mask_phone

from . import accounts, crypto, selectors, services
from .forms import ConfirmForm, LeaveForm, MemberForm, RosterPlaceForm, TransferForm
from .idnumbers import mask_id_number
from .models import Member
from .services import MemberError


def _roster_rows(rows) -> list[dict]:
    """The table's rows from ``roster_page(..., fields=selectors.roster_row_fields(user))``: each
    row's values with its ID number and phone masked and its age, for the template's loop.

    Masked for every user, as ``Member.id_number_for(..., explicit=False)``: the full values are
    shown one member at a time, by the audited ``reveal``.
    """
    today = timezone.localdate()
    sexes, statuses = dict(Member.Sex.choices), dict(Member.Status.choices)
    occupations, situations = dict(Member.Occupation.choices), dict(Member.Situation.choices)
    return [
        {
            "row": m,
            "sex": sexes.get(m.sex, ""),
            "age": selectors.age_on(m.birth_date, today),
            "id_number": mask_id_number(crypto.decrypt(m.id_number_encrypted)),
            "phone": mask_phone(m.phone),
            "occupation": occupations.get(m.occupation, ""),
            "situation": situations.get(m.situation, "") if m.situation != Member.Situation.NORMAL else "",
            "status": statuses.get(m.status, ""),
        }
        for m in rows
    ]


# What the roster's links and redirects may carry: its filters, and the search text only as
# ``qt``, an opaque token (``roster_search``). Anything else in a query string is dropped.
_ROSTER_KEYS = ("qt", "branch", "group", "status", "occupation", "situation", "state", "sort", "page")


def _query(request, **changes) -> str:
    """The current query string with ``changes`` applied (None drops a key)."""
    params = request.GET.copy()
    for key in set(params) - set(_ROSTER_KEYS):
        del params[key]
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


def _sort_links(request, current: str) -> dict[str, dict]:
    """For each sortable column: the link that sorts by it (toggling direction) and its arrow."""
    links = {}
    for key in selectors.SORTS:
        active = current.lstrip("-") == key
        descending = current.startswith("-")
        target = f"-{key}" if active and not descending else key
        arrow = ("↓" if descending else "↑") if active else ""
        links[key] = {"url": _query(request, sort=target, page=None), "arrow": arrow}
    return links


def _roster_params(query, *, q: str) -> dict[str, str]:
    """The roster's filters from ``query`` (GET or POST) and the search text ``q``.

    A value that is not one of the choices is not applied.
    """

    def choice(name: str, allowed, default: str = "") -> str:
        value = query.get(name, "")
        return value if value in allowed else default

    return {
        "q": q.strip()[:50],
        "branch": query.get("branch", "").strip()[:100],  # a code or a name (the picker's)
        "group": query.get("group", "").strip()[:100],
        "status": choice("status", Member.Status.values),
        "occupation": choice("occupation", Member.Occupation.values),
        "situation": choice("situation", Member.Situation.values),
        "state": choice("state", selectors.State.values, selectors.State.ACTIVE),
        "sort": choice("sort", selectors.SORT_KEYS, selectors.DEFAULT_SORT),
    }


def _search_text(request) -> str:
    """The search text carried by the query string's ``qt`` token ('' without one)."""
    token = request.GET.get("qt", "")
    if not token:
        return ""
    try:
        return crypto.decrypt(token)
    except (InvalidToken, ValueError):
        messages.warning(request, _("搜索条件已失效，请重新搜索"))
        return ""


def roster_search(request):
    """The filter form, posted: back to the roster with the filters in the query string.

    The form is posted so that a typed phone or ID number (or a name) never lands in a URL, and
    so in access logs, browser history or a Referer: the redirect carries the search text only as
    ``qt``, encrypted with the site's field key (``crypto.encrypt``: a fresh token each time, not
    readable without the key, unlike ``django.core.signing``). Pagination and sorting links keep
    ``qt`` as they keep the filters.
    """
    params = _roster_params(request.POST, q=request.POST.get("q", ""))
    query = {key: value for key, value in params.items() if value and key != "q"}
    if params["q"]:
        query["qt"] = crypto.encrypt(params["q"])
    url = reverse("members:list")
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@access.staff_required
@require_http_methods(["GET", "POST"])
def roster(request):
    """The roster: filters, search, sorting, 50 a page, a constant number of queries."""
    if request.method == "POST":
        return roster_search(request)
    user = request.user
    params = _roster_params(request.GET, q=_search_text(request))
    place = RosterPlaceForm({"branch": params["branch"], "group": params["group"]}, user=user)
    branch, group = place.chosen("branch"), place.chosen("group")
    members = selectors.roster(
        user,
        branch=branch,
        group=group,
        status=params["status"],
        occupation=params["occupation"],
        situation=params["situation"],
        state=params["state"],
        q=params["q"],
        sort=params["sort"],
    )
    page = selectors.roster_page(members, page_number(request), fields=selectors.roster_row_fields(user))
    context = {
        "params": params,
        "place": place,
        "branch": branch,
        "group": group,
        "page": page,
        "rows": _roster_rows(page.members),
        "status_choices": Member.Status.choices,
        "occupation_choices": Member.Occupation.choices,
        "situation_choices": Member.Situation.choices,
        "state_choices": selectors.State.choices,
        "sort_links": _sort_links(request, params["sort"]),
        "previous_url": _query(request, page=str(page.number - 1)),
        "next_url": _query(request, page=str(page.number + 1)),
        "can_create": access.manages_any(user),
    }
    return render(request, "members/list.html", context)


def _member_context(member: Member, user, *, revealed: bool = False) -> dict:
    """The record as pages show it: masked, with an age and no birth date, unless ``revealed`` (``reveal``)."""
    return {
        "member": member,
        "id_number": member.id_number_for(user, explicit=revealed),
        "phone": member.phone_for(user, explicit=revealed),
        "birth_date": member.birth_date if revealed and access.can_view_sensitive(user, member.branch) else None,
        "positions": selectors.member_positions(member),
        "events": selectors.member_history(member),
        "age": selectors.age_on(member.birth_date, timezone.localdate()),
        "party_years": member.party_standing_years(timezone.localdate()),
    }


@login_required
def detail(request, pk: int):
    member = selectors.member_for_page(request.user, pk)
    context = _member_context(member, request.user)
    context["can_manage"] = access.has_perm(request.user, access.MANAGE, member.branch)
    context["can_reveal"] = access.can_view_sensitive(request.user, member.branch)
    context["can_issue_code"] = context["can_manage"] and accounts.activation_code_issuable(request.user, member)
    context["can_issue_position_code"] = accounts.position_code_issuable(request.user, member)
    return render(request, "members/detail.html", context)


@login_required
@require_POST
@never_cache
def reveal(request, pk: int):
    """显示: the member page with the full ID number, phone and birth date, in this response only.

    Needs ``view_sensitive`` on the member's branch (404 outside the user's scope, 403 inside
    without it). Each use is audited: django-auditlog's access entry on the member, with the
    user, the time and the client's IP (shown in the member's audit trail).
    """
    member = selectors.managed_member_or_404(
        request.user, pk, perms=(access.SENSITIVE,), message=_("您没有查看完整身份信息的权限")
    )
    accessed.send(sender=Member, instance=member)
    context = _member_context(member, request.user, revealed=True)
    context["can_manage"] = access.has_perm(request.user, access.MANAGE, member.branch)
    context["revealed"] = True
    return render(request, "members/detail.html", context)


def _managed_member(request, pk: int) -> Member:
    """The member if visible (else 404) and the user manages their branch (else 403)."""
    return selectors.managed_member_or_404(request.user, pk, message=_("您没有管理该党员的权限"))


def _form_page(request, form, *, title: str, submit: str, member: Member | None = None, cancel: str = ""):
    context = {"form": form, "title": title, "submit": submit, "member": member, "cancel_url": cancel}
    return render(request, "members/form.html", context)


@login_required
def create(request):
    """Add a member to a branch the user manages (``?branch=CODE``, a link's, preselects it: 404 outside
    the user's subtree, 403 inside without manage); the posted branch is the form's picker's to check."""
    user = request.user
    access.require_manager(user)
    branch = None
    if code := request.GET.get("branch"):
        branch = access.get_branch_or_404(user, code=code)
        access.require(user, access.MANAGE, branch)
    form = MemberForm(request.POST or None, user=user, branch=branch)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(data=form.to_data(), by=user)
        except MemberError as exc:
            form.add_problems(exc.problems or [(None, exc.message)])
        else:
            messages.success(request, _("已添加党员 %(name)s") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return _form_page(request, form, title=_("新增党员"), submit=_("保存"), cancel=reverse("members:list"))


@login_required
def edit(request, pk: int):
    member = _managed_member(request, pk)
    form = MemberForm(request.POST or None, user=request.user, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=member, data=form.to_data(), by=request.user)
        except MemberError as exc:
            form.add_problems(exc.problems or [(None, exc.message)])
        else:
            messages.success(request, _("已保存"))
            return redirect("members:detail", pk=member.pk)
    title = _("修改党员信息：%(name)s") % {"name": member.name}
    cancel = reverse("members:detail", args=[member.pk])
    return _form_page(request, form, title=title, submit=_("保存"), member=member, cancel=cancel)


@login_required
def transfer(request, pk: int):
    """组织关系转接 to a branch the user also manages."""
    member = _managed_member(request, pk)
    form = TransferForm(request.POST or None, user=request.user, member=member)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.member_transfer(
                member=member, to_branch=d["to_branch"], group=d["group"], on=d["on"], note=d["note"], by=request.user
            )
        except MemberError as exc:
            form.add_problems(exc.problems or [(None, exc.message)])
        else:
            messages.success(
                request, _("已将 %(name)s 转入 %(branch)s") % {"name": member.name, "branch": d["to_branch"]}
            )
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/transfer.html", {"form": form, "member": member})


@login_required
def leave(request, pk: int):
    """离册 with a date and a reason; the record stays."""
    member = _managed_member(request, pk)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.member_leave(member=member, on=d["on"], reason=d["reason"], note=d["note"], by=request.user)
        except MemberError as exc:
            form.add_problems(exc.problems or [(None, exc.message)])
        else:
            messages.success(request, _("%(name)s 已离册") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/leave.html", {"form": form, "member": member})


@login_required
def confirm(request, pk: int):
    """转正 of a probationary member."""
    member = _managed_member(request, pk)
    form = ConfirmForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.member_confirm(member=member, on=d["confirmed_on"], reason=d["reason"], by=request.user)
        except MemberError as exc:
            form.add_problems(exc.problems or [(None, exc.message)])
        else:
            messages.success(request, _("%(name)s 已转为正式党员") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    title = _("预备党员转正：%(name)s") % {"name": member.name}
    cancel = reverse("members:detail", args=[member.pk])
    return _form_page(request, form, title=title, submit=_("确认转正"), member=member, cancel=cancel)


@login_required
def me(request):
    """A member's own record (ID number and phone masked, their own birth date shown), positions and history."""
    member = Member.objects.filter(user=request.user).select_related("branch", "group", "household").first()
    if member is None:
        raise Http404(_("您的账号没有关联党员档案"))
    context = _member_context(member, request.user)
    context["birth_date"] = member.birth_date
    context["pending_grants"] = accounts.pending_grants(
        member
    )  # 任职权限待本人确认 (activation_views.confirm_position)
    return render(request, "members/me.html", context)
