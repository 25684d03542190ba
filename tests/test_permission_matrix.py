"""Every URL of the site (admin aside) against every persona, with GET and POST.

The URL patterns are enumerated from the URL configuration; each is filled with objects of
branch A and of branch B, and every persona asks for it. The expected answer of each
(URL, side, persona, method) comes from ``TABLE`` below: a URL without a row fails
``test_every_url_has_a_row``. Every response is also searched for the raw ID numbers and
phone numbers of the world's members: only a persona with ``view_sensitive`` may see them.

Answers are classed as: ``ok`` (a GET served: 200, a redirect elsewhere, a download),
``login`` (redirect to the log-in page, or 401 from the API), ``403``, ``404``, ``405``. A POST
that is served says whether the write happened:

- ``done``: the request wrote to the site's tables (any INSERT, UPDATE or DELETE other than the
  session's and django-axes' bookkeeping): a redirect after success, a success JSON, an audited
  action. A ``done`` that re-shows a form with errors (``errorlist``) is a failure of its own.
- ``form``: served, nothing written: the form re-shown with its errors, a redirect back with an
  error message, a JSON error, a page that explains why not.

Every POST row of ``TABLE`` says ``DONE`` or ``FORM`` where a GET row says ``OK`` (``done(...)``
and ``form(...)`` turn the ``ok`` of a helper into one of them), so that a write that a persona
may not do can never pass as served. Most rows post no data (``form`` for those allowed); the
core writes (member edit, activity create, manual check-in, leave approval) post valid data,
so ``done`` and the refusals are both real.

Personas (tests/conftest.py): ``reviewer`` is an organization-department reviewer of the town
(``view_branch`` and ``review_health``, no ``view_sensitive``); ``viewer`` an inspector holding
only ``view_branch`` on the town: reads the subtree with members masked and may change nothing.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from activities import leave as leave_services
from activities import records as record_services
from activities import services as activity_services
from activities import tokens
from activities.models import Activity, ExpectedExemption, ProbationDecision
from branches import access
from health.models import HealthCheck
from health.services import health_checks_compute
from members.models import Member
from members.services import position_appoint
from reports.models import Job
from tests.factories import MemberFactory, UserFactory

OK, LOGIN, DENY, HIDE, NOT_ALLOWED = "ok", "login", "403", "404", "405"
DONE, FORM = "done", "form"  # a served POST: it wrote, or it did not
PERSONAS = [
    "anonymous",
    "member_a",
    "secretary_a",
    "secretary_b",
    "orgdept",
    "other_orgdept",
    "reviewer",
    "viewer",
    "grid_head_a",
    "grid_worker_a",
]
SENSITIVE_PERSONAS = {"orgdept"}
CASES: list[int] = []  # one entry per (url, side, persona, method) checked; summed in conftest


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin/"):
                    continue
                walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), None)
    return names


# --- expected answers -------------------------------------------------------------------------


def everyone(answer: str) -> dict[str, str]:
    return {p: answer for p in PERSONAS}


def logged_in(answer: str = OK, **overrides) -> dict[str, str]:
    return {**everyone(answer), "anonymous": LOGIN, **overrides}


def staff(answer: str = OK, **overrides) -> dict[str, str]:
    """Any user with a branch grant that reads; a plain member is refused, and so are a grid head and a grid
    worker (their service rights read nothing)."""
    return logged_in(answer, **{"member_a": DENY, "grid_head_a": DENY, "grid_worker_a": DENY, **overrides})


def scoped(level: str, side: str, **overrides) -> dict[str, str]:
    """An object of branch ``side``: 404 outside the persona's subtree, 403 inside without ``level``."""
    own = "secretary_a" if side == "A" else "secretary_b"
    other = "secretary_b" if side == "A" else "secretary_a"
    result = {
        "anonymous": LOGIN,
        "member_a": HIDE,
        own: OK if level in {"view", "manage"} else DENY,
        other: HIDE,
        "orgdept": OK,
        "other_orgdept": HIDE,
        "reviewer": DENY if level == "manage" else OK,
        "viewer": OK if level == "view" else DENY,
        # the service rights of branch A read nothing (issue 16): outside every subtree they read
        "grid_head_a": HIDE,
        "grid_worker_a": HIDE,
    }
    result.update(overrides)
    return result


@dataclass
class Row:
    kwargs: callable  # (world, side) -> URL kwargs
    get: callable  # side -> {persona: answer}
    post: callable
    sides: tuple[str, ...] = ("A", "B")
    data: dict | callable = field(default_factory=dict)  # or (world, side) -> the POST data

    def post_data(self, world, side) -> dict:
        return self.data(world, side) if callable(self.data) else self.data


def none(world, side):
    return {}


def code(world, side):
    return {"code": world.branch(side).code}


def by_pk(attr):
    return lambda world, side: {"pk": getattr(world, attr)[side].pk}


def activity_and(attr, kwarg):
    return lambda world, side: {"pk": world.activity[side].pk, kwarg: getattr(world, attr)[side].pk}


def const(answers):
    return lambda side: answers


def per_side(fn):
    return fn


def done(fn, **overrides):
    """A POST row: every ``ok`` of ``fn`` (a side -> answers helper) is a write that happened."""
    return lambda side: {**{p: DONE if a == OK else a for p, a in fn(side).items()}, **overrides}


def form(fn, **overrides):
    """A POST row: every ``ok`` of ``fn`` is served without a write (the data posted is not enough)."""
    return lambda side: {**{p: FORM if a == OK else a for p, a in fn(side).items()}, **overrides}


def dues_month(world, side):
    today = timezone.localdate()
    return {"pk": world.member[side].pk, "year": today.year, "month": today.month}


def token(world, side):
    return {"token": world.token[side]}


def leave_only(world, side):
    return {"leave_pk": world.leave[side].pk}


MANAGE_GET = lambda side: scoped("manage", side)  # noqa: E731
MANAGE_POST = form(MANAGE_GET)  # posted without data: served to those who manage, nothing written
MANAGE_DONE = done(MANAGE_GET)
VIEW_GET = lambda side: scoped("view", side)  # noqa: E731
# Health-check scores are shown to those who manage or review the branch (health/views.py), not to a viewer.
HEALTH_GET = lambda side: scoped("view", side, viewer=DENY)  # noqa: E731
REVIEW = lambda side: scoped("review", side)  # noqa: E731
POST_ONLY = const(everyone(NOT_ALLOWED))
POST_ONLY_LOGIN = const(logged_in(NOT_ALLOWED))
# A member's own record is visible to them, so actions on it answer 403, not 404.
MEMBER_MANAGE = lambda side: scoped("manage", side, **_self_deny(side))  # noqa: E731
# Background jobs are seen by the user who started them (here the branch's secretary).
CREATOR_ONLY = lambda side: {**logged_in(HIDE), **_own(side, OK)}  # noqa: E731
REVIEW_OR_MANAGE = lambda side: scoped("review", side, **_own(side, OK))  # noqa: E731


def _member_a_only():
    return logged_in(HIDE, member_a=OK)


def _a_only(side, answer):
    return {"member_a": answer} if side == "A" else {}


def _service(world, side) -> dict:
    """The side's community (its branch) with a grid, the side's member reported there, an open request,
    one the member took and one they completed (with its rating link's token): made on first use."""
    from service import services as svc
    from service.models import Grid, Registration, ServiceRequest

    branch, member = world.branch(side), world.member[side]
    grid = Grid.objects.filter(community=branch).first()
    if grid is None:
        grid = svc.grid_create(community=branch, name="第一网格", by=None)
        svc.registration_create(member=member, community=branch, grid=grid, post=None, by=None)
        for i in range(3):
            photos = [SimpleUploadedFile("p.png", PNG, "image/png")] if i == 0 else []
            svc.request_create(
                grid=grid, category="daily", text="楼道灯坏了请修理", name="赵", phone="13800138000", photos=photos
            )
        open_, taken, done_ = ServiceRequest.objects.filter(grid=grid).order_by("pk")
        svc.request_claim(request=taken, member=member, by=None)
        svc.request_claim(request=done_, member=member, by=None)
        svc.request_complete(request=done_, member=member, hours="1", note="", by=None)
    assert Registration.objects.filter(member=member, ended_on=None).exists()
    open_, taken, done_ = ServiceRequest.objects.filter(grid=grid).order_by("pk")
    photo = open_.photos.get()
    return {
        "grid": grid,
        "registration": Registration.objects.get(member=member, ended_on=None),
        "open": open_,
        "taken": taken,
        "done": done_,
        "token": svc.rating_token(done_),
        "photo": photo,
    }


def _unit_registration(world, side) -> dict:
    """A unit registration at the side's community (the other side's branch reporting): made on first use."""
    from service import services as svc
    from service.models import UnitRegistration

    community, unit = world.branch(side), world.branch("B" if side == "A" else "A")
    found = UnitRegistration.objects.filter(community=community, ended_on=None).first()
    if found is None:
        found = svc.unit_registration_create(
            unit=unit, community=community, contact_name="周", contact_phone="13900139000", by=None
        )
    return {"pk": found.pk}


def _grid(side, head: str, worker: str) -> dict[str, str]:
    """The grid head's and grid worker's answers on a service page of branch A (their community); none on B's."""
    return {"grid_head_a": head, "grid_worker_a": worker} if side == "A" else {}


# The service pages a grid worker may open (board, request, note, enter, photo), and those a grid head may open
# besides (dispatch, close, poster); the setup and the registrations answer both 403 (docs/rules/service.md).
SERVE_GET = lambda side: scoped("manage", side, **_grid(side, OK, OK))  # noqa: E731
DISPATCH_GET = lambda side: scoped("manage", side, **_grid(side, OK, DENY))  # noqa: E731
GRID_DENY = lambda side: scoped("manage", side, **_grid(side, DENY, DENY))  # noqa: E731


def _service_pk(key):
    return lambda world, side: {"pk": _service(world, side)[key].pk}


def _service_none(world, side):
    _service(world, side)
    return {}


TABLE: dict[str, Row] = {
    # site
    "home": Row(none, const(logged_in()), form(const(logged_in())), sides=("A",)),
    "login": Row(none, const(everyone(OK)), form(const(everyone(OK))), sides=("A",)),
    "logout": Row(none, const(everyone(NOT_ALLOWED)), const(everyone(LOGIN)), sides=("A",)),
    # The user's own account: password and devices (members/password_views.py). Ending a device that is not
    # the user's changes nothing; 全部退出 ends this session too, so it answers with the log-in page.
    "account": Row(none, const(logged_in()), form(const(logged_in())), sides=("A",)),
    "password_change": Row(none, const(logged_in()), form(const(logged_in())), sides=("A",)),
    "device_end": Row(lambda w, s: {"ref": "0" * 20}, POST_ONLY_LOGIN, form(const(logged_in())), sides=("A",)),
    "devices_end_all": Row(none, POST_ONLY_LOGIN, const(everyone(LOGIN)), sides=("A",)),
    "set_language": Row(none, const(everyone(OK)), form(const(everyone(OK))), sides=("A",)),
    # branches
    "branches:tree": Row(none, const(staff()), form(const(staff())), sides=("A",)),
    # The picker's search: JSON within the user's scope (an empty list for a code outside it), GET only.
    "branches:search": Row(none, const(staff()), const(staff(NOT_ALLOWED)), sides=("A",)),
    "branches:detail": Row(code, VIEW_GET, form(VIEW_GET)),
    "branches:create_child": Row(code, MANAGE_GET, MANAGE_POST),
    "branches:rename": Row(code, MANAGE_GET, MANAGE_POST),
    # Moving and dissolving need manage on the parent: a branch's own secretary may not.
    "branches:move": Row(
        code, lambda s: scoped("manage", s, **_own(s, DENY)), form(lambda s: scoped("manage", s, **_own(s, DENY)))
    ),
    "branches:dissolve": Row(
        code, lambda s: scoped("manage", s, **_own(s, DENY)), form(lambda s: scoped("manage", s, **_own(s, DENY)))
    ),
    # members
    "members:me": Row(
        none, const(logged_in(HIDE, member_a=OK)), form(const(logged_in(HIDE, member_a=OK))), sides=("A",)
    ),
    "members:list": Row(none, const(staff()), form(const(staff())), sides=("A",)),
    "members:create": Row(
        none, const(staff(reviewer=DENY, viewer=DENY)), form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "members:import": Row(
        none, const(staff(reviewer=DENY, viewer=DENY)), form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "members:import_confirm": Row(
        none, const(staff(NOT_ALLOWED)), form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "members:import_template": Row(none, const(staff()), const(staff(NOT_ALLOWED)), sides=("A",)),
    "members:roster_export": Row(none, const(staff()), const(staff(NOT_ALLOWED)), sides=("A",)),
    "members:activate": Row(none, const(everyone(OK)), form(const(everyone(OK))), sides=("A",)),
    "members:detail": Row(
        by_pk("member"), lambda s: scoped("view", s, **_self(s)), form(lambda s: scoped("view", s, **_self(s)))
    ),
    # The audited "显示" of full ID number, phone and birth date: view_sensitive on the member's branch.
    "members:reveal": Row(
        by_pk("member"), POST_ONLY_LOGIN, done(lambda s: scoped("sensitive", s, reviewer=DENY, **_self_deny(s)))
    ),
    "members:edit": Row(by_pk("member"), MEMBER_MANAGE, done(MEMBER_MANAGE), data=lambda w, s: member_edit_data(w, s)),
    "members:transfer": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    "members:leave": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    "members:confirm": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    # Issuing an activation code: the world's members have accounts, so it is answered with a message.
    "members:activation_code": Row(by_pk("member"), POST_ONLY_LOGIN, form(MEMBER_MANAGE)),
    # 重置密码: the world's members have accounts and no grant, so whoever manages them resets it.
    "members:password_reset": Row(by_pk("member"), POST_ONLY_LOGIN, done(MEMBER_MANAGE)),
    # Issuing a 任职确认码: the world's positions are not committee ones, so it is answered with a message
    # ("nothing to confirm") to those who manage the member (tests/members/test_activation.py covers the rest).
    "members:position_code": Row(by_pk("member"), POST_ONLY_LOGIN, form(MEMBER_MANAGE)),
    # The member enters a 任职确认码 on their own page; posted without a code: a message, nothing written.
    "members:confirm_position": Row(none, POST_ONLY_LOGIN, form(const(logged_in(HIDE, member_a=OK))), sides=("A",)),
    "members:position_appoint": Row(code, MANAGE_GET, MANAGE_POST),
    "members:position_end": Row(by_pk("position"), MANAGE_GET, MANAGE_POST),
    "members:dues_branch": Row(code, REVIEW_OR_MANAGE, form(REVIEW_OR_MANAGE)),
    "members:dues_generate": Row(code, POST_ONLY_LOGIN, MANAGE_POST),
    # 本月全部已缴: the month's form for those who manage the branch; posted without a date, nothing written.
    "members:dues_record_month": Row(code, MANAGE_GET, MANAGE_POST),
    "members:dues_arrears": Row(code, REVIEW_OR_MANAGE, form(REVIEW_OR_MANAGE)),
    "members:dues_record": Row(dues_month, MEMBER_MANAGE, form(MEMBER_MANAGE)),
    "members:income": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    # The farmers' dues amount: read by those who manage or review the branch, set by those who manage it.
    "members:dues_farmer_rate": Row(code, REVIEW_OR_MANAGE, MANAGE_POST),
    "members:dues_reductions": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    "members:dues_import": Row(
        none, const(staff(reviewer=DENY, viewer=DENY)), form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "members:dues_import_confirm": Row(
        none, POST_ONLY_LOGIN, form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "members:dues_import_template": Row(
        none, const(staff(reviewer=DENY, viewer=DENY)), form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "members:commendation_create": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    "members:lapse_note_create": Row(by_pk("member"), MEMBER_MANAGE, form(MEMBER_MANAGE)),
    "members:sanction_create": Row(
        by_pk("member"),
        lambda s: {**REVIEW_OR_MANAGE(s), **_self_deny(s)},
        form(lambda s: {**REVIEW_OR_MANAGE(s), **_self_deny(s)}),
    ),
    # activities
    "activities:index": Row(none, const(logged_in()), form(const(logged_in())), sides=("A",)),
    "activities:workbench": Row(
        none, const(staff(reviewer=DENY, viewer=DENY)), form(const(staff(reviewer=DENY, viewer=DENY))), sides=("A",)
    ),
    "activities:list": Row(none, const(staff()), form(const(staff())), sides=("A",)),
    "activities:compliance": Row(none, const(staff()), form(const(staff())), sides=("A",)),
    "activities:mine": Row(
        none, const(logged_in(HIDE, member_a=OK)), form(const(logged_in(HIDE, member_a=OK))), sides=("A",)
    ),
    # Planned at branch A: a secretary or department outside it cannot name the branch (404).
    "activities:create": Row(
        none,
        const(staff(reviewer=DENY, viewer=DENY)),
        # Branch A typed into the picker by those who do not manage it: an error on the field (branches/picker.py).
        const(staff(DONE, reviewer=DENY, viewer=DENY, secretary_b=FORM, other_orgdept=FORM)),
        sides=("A",),
        data=lambda w, s: activity_create_data(w),
    ),
    # The member of branch A checks in at A's activity (the window is open); anyone else has no row to write.
    "activities:checkin": Row(
        token, const(logged_in()), lambda s: form(const(logged_in()), **({"member_a": DONE} if s == "A" else {}))(s)
    ),
    "activities:leave_withdraw": Row(leave_only, POST_ONLY_LOGIN, const(logged_in(HIDE))),
    "activities:detail": Row(by_pk("activity"), VIEW_GET, form(VIEW_GET)),
    "activities:edit": Row(by_pk("activity"), MANAGE_GET, MANAGE_POST),
    "activities:cancel": Row(by_pk("activity"), MANAGE_GET, MANAGE_POST),
    "activities:hold": Row(by_pk("activity"), MANAGE_GET, MANAGE_POST),
    "activities:minutes": Row(by_pk("activity"), MANAGE_GET, MANAGE_DONE),
    "activities:resolution_add": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_POST),
    "activities:resolution_delete": Row(activity_and("resolution", "resolution_pk"), POST_ONLY_LOGIN, MANAGE_DONE),
    "activities:file_upload": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_POST),
    "activities:file": Row(activity_and("file", "file_pk"), VIEW_GET, form(VIEW_GET)),
    "activities:file_delete": Row(activity_and("file", "file_pk"), POST_ONLY_LOGIN, MANAGE_DONE),
    "activities:manual_check_in": Row(
        by_pk("activity"), POST_ONLY_LOGIN, MANAGE_DONE, data=lambda w, s: {"member": w.member[s].pk}
    ),
    "activities:hours": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_POST),
    "activities:leave_ask": Row(by_pk("activity"), POST_ONLY_LOGIN, form(lambda s: _member_only(s))),
    "activities:leave_decide": Row(
        activity_and("leave", "leave_pk"), POST_ONLY_LOGIN, MANAGE_DONE, data={"approve": "1", "comment": "同意"}
    ),
    "activities:sign_up": Row(by_pk("activity"), POST_ONLY_LOGIN, const(logged_in(HIDE))),
    "activities:checkin_screen": Row(by_pk("activity"), MANAGE_GET, MANAGE_POST),
    "activities:checkin_screen_live": Row(by_pk("activity"), MANAGE_GET, MANAGE_POST),
    "activities:poster": Row(by_pk("activity"), MANAGE_GET, MANAGE_POST),
    "activities:fixed_qr": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_DONE),  # no data: disables the poster
    # issue 14's meeting rules (activities/views_rules.py): posted without data, nothing is written
    "activities:exemptions": Row(code, MANAGE_GET, MANAGE_POST),
    "activities:exemption_end": Row(lambda w, s: {"pk": _exemption(w, s).pk}, POST_ONLY_LOGIN, MANAGE_POST),
    "activities:probation_record": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_POST),
    # Approving is for the nearest 党委 above (the town): a branch's own secretary may not.
    "activities:probation_approve": Row(
        lambda w, s: {"pk": _decision(w, s).pk},
        lambda s: scoped("manage", s, **_own(s, DENY)),
        form(lambda s: scoped("manage", s, **_own(s, DENY))),
    ),
    "activities:home_delivery": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_POST),
    "activities:guest_record": Row(by_pk("activity"), POST_ONLY_LOGIN, MANAGE_POST),
    "activities:signin_sheet": Row(by_pk("activity"), VIEW_GET, form(VIEW_GET)),
    "activities:record_docx": Row(by_pk("activity"), VIEW_GET, form(VIEW_GET)),
    "api:check_ins": Row(none, const(everyone(NOT_ALLOWED)), form(const(logged_in())), sides=("A",)),
    # health
    "health:index": Row(none, const(logged_in()), form(const(logged_in())), sides=("A",)),
    "health:me": Row(
        none, const(logged_in(HIDE, member_a=OK)), form(const(logged_in(HIDE, member_a=OK))), sides=("A",)
    ),
    "health:branch": Row(code, HEALTH_GET, form(HEALTH_GET)),
    "health:review": Row(code, HEALTH_GET, form(HEALTH_GET)),
    "health:compute": Row(code, POST_ONLY, done(REVIEW_OR_MANAGE)),
    "health:submit": Row(code, POST_ONLY, MANAGE_DONE),
    "health:approve": Row(code, POST_ONLY, form(REVIEW)),
    "health:return": Row(code, POST_ONLY, form(REVIEW)),
    "health:publish": Row(code, POST_ONLY, form(REVIEW)),
    "health:adjust": Row(by_pk("check"), POST_ONLY, MANAGE_POST),
    "health:rubric": Row(code, HEALTH_GET, form(HEALTH_GET)),
    "health:rubric_edit": Row(code, REVIEW, form(REVIEW)),
    # reports
    "reports:home": Row(none, const(staff()), form(const(staff())), sides=("A",)),
    "reports:dashboard": Row(code, VIEW_GET, form(VIEW_GET)),
    # The dashboard's printable page and its Word file (reports/paper.py): the dashboard's permission.
    "reports:print": Row(code, VIEW_GET, form(VIEW_GET)),
    "reports:print_docx": Row(code, VIEW_GET, form(VIEW_GET)),
    "reports:job_start": Row(code, POST_ONLY, done(REVIEW), data={"kind": "reports", "period": "2026-10"}),
    "reports:job": Row(by_pk("job"), CREATOR_ONLY, form(CREATOR_ONLY)),
    "reports:job_download": Row(by_pk("job"), lambda s: logged_in(HIDE), lambda s: logged_in(HIDE)),
    # Retry: the starter only, if they may still start it (the secretaries' jobs are recomputations: 403).
    "reports:job_retry": Row(by_pk("job"), POST_ONLY, lambda s: {**logged_in(HIDE), **_own(s, DENY)}),
    "reports:reminders": Row(none, const(logged_in()), form(const(logged_in())), sides=("A",)),
    # service (issue 16): the member's pages (other users have no member record: 404); side A's member reported to
    # branch A (the community of side A), side B's to branch B; ``_service`` makes each side's grid and requests.
    "service:mine": Row(none, const(_member_a_only()), form(const(_member_a_only())), sides=("A",)),
    "service:register": Row(none, const(_member_a_only()), form(const(_member_a_only())), sides=("A",)),
    "service:renew": Row(_service_none, POST_ONLY_LOGIN, const(logged_in(HIDE, member_a=DONE)), sides=("A",)),
    # Ending one's own registration (a reason optional): the member only; the register page's community search
    # (names and codes of the organizations that accept registrations) for any logged-in user, GET only.
    "service:end_mine": Row(_service_none, POST_ONLY_LOGIN, const(logged_in(HIDE, member_a=DONE)), sides=("A",)),
    "service:communities": Row(none, const(logged_in()), const(logged_in(NOT_ALLOWED)), sides=("A",)),
    # A secretary ends a member's registration (the community's or the member's own: here both the side's
    # branch) or a unit's (the community's), posted without a reason: told, nothing written.
    "service:registration_end": Row(_service_pk("registration"), POST_ONLY_LOGIN, MANAGE_POST),
    "service:unit_end": Row(_unit_registration, POST_ONLY_LOGIN, MANAGE_POST),
    "service:claim": Row(_service_pk("open"), POST_ONLY_LOGIN, lambda s: logged_in(HIDE, **_a_only(s, DONE))),
    "service:accept": Row(_service_pk("taken"), POST_ONLY_LOGIN, lambda s: logged_in(HIDE, **_a_only(s, FORM))),
    "service:complete": Row(
        _service_pk("taken"), lambda s: logged_in(HIDE, **_a_only(s, OK)), lambda s: logged_in(HIDE, **_a_only(s, FORM))
    ),
    # the community's secretary: manage on the community (the side's branch); posted without data, nothing written
    # The menu's 诉求看板 (grid heads and grid workers): the board of the community where the user serves or
    # manages (a redirect), 404 without one; GET only.
    "service:serving": Row(
        none,
        const(
            logged_in(
                HIDE,
                **dict.fromkeys(("secretary_a", "secretary_b", "orgdept", "other_orgdept"), OK),
                grid_head_a=OK,
                grid_worker_a=OK,
            )
        ),
        const(logged_in(NOT_ALLOWED)),
        sides=("A",),
    ),
    # grid heads and grid workers (issue 16): SERVE_GET, DISPATCH_GET, GRID_DENY
    "service:request": Row(_service_pk("open"), SERVE_GET, form(SERVE_GET)),
    "service:dispatch": Row(_service_pk("open"), POST_ONLY_LOGIN, form(DISPATCH_GET)),
    "service:note": Row(_service_pk("open"), POST_ONLY_LOGIN, form(SERVE_GET)),
    "service:close": Row(_service_pk("open"), POST_ONLY_LOGIN, form(DISPATCH_GET)),
    "service:poster": Row(_service_pk("grid"), DISPATCH_GET, form(DISPATCH_GET)),
    # A request's photo (the private storage): for those who manage the community (and its member in charge).
    "service:photo": Row(_service_pk("photo"), SERVE_GET, POST_ONLY_LOGIN),
    "service:board": Row(code, SERVE_GET, form(SERVE_GET)),
    "service:setup": Row(code, GRID_DENY, form(GRID_DENY)),
    "service:enter": Row(code, SERVE_GET, form(SERVE_GET)),
    # Registrations (phones masked without view_sensitive) and figures: whoever may read the branch; units are
    # registered by those who manage it.
    "service:registrations": Row(code, lambda s: scoped("view", s, **_grid(s, DENY, DENY)), form(GRID_DENY)),
    "service:figures": Row(code, VIEW_GET, form(VIEW_GET)),
    # Residents, without an account: the grid's form, following by receipt number and secret (posted without
    # them: nothing shown), the one-time rating link of a completed request (posted without stars: the form again).
    "service:ask": Row(
        lambda w, s: {"key": _service(w, s)["grid"].poster_key}, const(everyone(OK)), form(const(everyone(OK)))
    ),
    "service:track": Row(none, const(everyone(OK)), form(const(everyone(OK))), sides=("A",)),
    "service:rate": Row(
        lambda w, s: {"pk": _service(w, s)["done"].pk, "token": _service(w, s)["token"]},
        const(everyone(OK)),
        form(const(everyone(OK))),
    ),
}


def member_edit_data(world, side) -> dict:
    """The member's edit form as shown, with one change (the phone sent back as stored)."""
    member = world.member[side]
    return {
        "name": member.name,
        "sex": member.sex,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "ethnicity": "回族",
        "education": member.education,
        "phone": member.phone,
        "group": member.group.code if member.group_id else "",
        "household": "",
        "occupation": member.occupation,
        "situation": member.situation,
        "status": member.status,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat() if member.confirmed_on else "",
    }


def activity_create_data(world) -> dict:
    start = timezone.localtime() + datetime.timedelta(days=7)
    return {
        "branch": world.tree.branch_a.code,
        "kind": Activity.Kind.THEME_DAY,
        "title": "主题党日",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
    }


def _exemption(world, side) -> ExpectedExemption:
    """The side's member's 不列入应到 exemption, made on first use."""
    today = timezone.localdate()
    row, _ = ExpectedExemption.objects.get_or_create(
        member=world.member[side],
        defaults={"reason": "abroad", "starts_on": today, "consenting_org": "城关镇党委", "consent_on": today},
    )
    return row


def _decision(world, side) -> ProbationDecision:
    """A probation decision (awaiting approval) from the side's resolution, made on first use."""
    row, _ = ProbationDecision.objects.get_or_create(
        resolution=world.resolution[side],
        defaults={"member": world.member[side], "kind": "confirm", "decided_on": timezone.localdate()},
    )
    return row


def _own(side, answer):
    return {("secretary_a" if side == "A" else "secretary_b"): answer}


def _self(side):
    """A member always sees their own record."""
    return {"member_a": OK} if side == "A" else {}


def _self_deny(side):
    return {"member_a": DENY} if side == "A" else {}


def _member_only(side):
    """Pages for the member themself: other users have no member record (404)."""
    return logged_in(HIDE, member_a=OK if side == "A" else HIDE)


def _ok_to(answer, side, level):
    """Overrides turning every ``ok`` of ``scoped(level, side)`` into ``answer``."""
    return {p: answer for p, a in scoped(level, side).items() if a == OK}


# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    tree: object
    member: dict
    position: dict
    activity: dict
    leave: dict
    resolution: dict
    file: dict
    check: dict
    job: dict
    token: dict
    raw_values: list[str]

    def branch(self, side):
        return self.tree.branch_a if side == "A" else self.tree.branch_b


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def world(tree, member_a, member_b, secretary_a, secretary_b, orgdept, other_orgdept, reviewer):
    today = timezone.localdate()
    member_b.user = UserFactory(username="member_b")
    member_b.save()
    members = {"A": member_a, "B": member_b}
    extra = {"A": MemberFactory(branch=tree.branch_a), "B": MemberFactory(branch=tree.branch_b)}
    secretaries = {"A": secretary_a, "B": secretary_b}
    position = {
        s: position_appoint(member=extra[s], branch=extra[s].branch, title="grid_leader", on=today) for s in "AB"
    }
    start = timezone.now() + datetime.timedelta(minutes=10)
    activity, leave, resolution, files, token, checks, jobs = {}, {}, {}, {}, {}, {}, {}
    for s in "AB":
        branch = members[s].branch
        activity[s] = activity_services.activity_create(
            branch=branch,
            kind=Activity.Kind.BRANCH_ASSEMBLY,
            title="支部党员大会",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            by=secretaries[s],
        )
        leave[s] = leave_services.leave_request_create(
            activity=activity[s], member=extra[s], reason="外出", by=secretaries[s]
        )
        resolution[s] = record_services.resolution_add(
            activity=activity[s], text="通过决议", by=secretaries[s], now=start
        )  # as the meeting starts: no resolution before
        files[s] = record_services.activity_attach_file(
            activity=activity[s], upload=SimpleUploadedFile("p.png", PNG, "image/png"), by=secretaries[s]
        )
        token[s] = tokens.current_token(activity[s])
        health_checks_compute(period=str(today.year), branch=branch)
        checks[s] = HealthCheck.objects.filter(member=members[s]).get()
        jobs[s] = Job.objects.create(kind=Job.Kind.values[0], branch=branch, created_by=secretaries[s])
    raw = []
    for m in Member.objects.all():
        raw += [m.id_number, m.phone]
    return World(tree, members, position, activity, leave, resolution, files, checks, jobs, token, raw)


@pytest.fixture
def grid_head_a(tree):
    """A grid head (网格长) of branch A: ``dispatch_requests`` there, as a confirmed grid position grants it."""
    user = UserFactory(username="grid_head_a")
    access.grant(user, access.DISPATCH, tree.branch_a)
    return user


@pytest.fixture
def grid_worker_a(tree):
    """A grid worker (网格员) of branch A: ``serve_community`` there."""
    user = UserFactory(username="grid_worker_a")
    access.grant(user, access.SERVE, tree.branch_a)
    return user


# --- the test ---------------------------------------------------------------------------------


def classify(response) -> str:
    status = response.status_code
    if status == 401:
        return LOGIN
    if status in (301, 302) and response["Location"].split("?")[0].endswith(reverse("login")):
        return LOGIN
    if status == 403:
        return DENY
    if status == 404:
        return HIDE
    if status == 405:
        return NOT_ALLOWED
    assert status < 500, f"server error {status}"
    return OK


# The session (core.UserSession) and django-axes' log-in bookkeeping are written by serving any request: not the site's data.
BOOKKEEPING_TABLES = ("core_usersession", "axes_")
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)', re.IGNORECASE)


def tables_written(queries) -> list[str]:
    """The site's tables that the captured queries wrote to."""
    tables = []
    for query in queries:
        match = _WRITE.match(query["sql"])
        if match and not match[1].startswith(BOOKKEEPING_TABLES):
            tables.append(match[1])
    return tables


def classify_post(response, written: list[str]) -> str:
    """``classify``, with a served POST told apart: ``done`` if it wrote, ``form`` if not."""
    got = classify(response)
    if got != OK:
        return got
    return DONE if written else FORM


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":  # an .xlsx download
        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        except (zipfile.BadZipFile, KeyError, OSError):
            return ""
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
    return content.decode("utf-8", "replace")


def test_every_url_has_a_row():
    missing = sorted(all_url_names() - set(TABLE))
    stale = sorted(set(TABLE) - all_url_names())
    assert not missing, f"URLs without a row in the permission table: {missing}"
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def test_every_post_row_says_whether_it_writes():
    """A served POST is ``done`` or ``form`` in the table, never the GET's ``ok``."""
    unclassified = sorted(
        f"{name} ({side}): {', '.join(p for p, a in row.post(side).items() if a == OK)}"
        for name, row in TABLE.items()
        for side in row.sides
        if OK in row.post(side).values()
    )
    assert not unclassified, "POST answers to say as DONE or FORM:\n" + "\n".join(unclassified)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_url_answers_each_persona_as_the_table_says(name, world, client, request):
    row = TABLE[name]
    failures = []
    for side in row.sides:
        url = reverse(name, kwargs=row.kwargs(world, side))
        for method, expected_by_persona in (("GET", row.get(side)), ("POST", row.post(side))):
            for persona in PERSONAS:
                client.logout()
                if persona != "anonymous":
                    user = request.getfixturevalue(persona)
                    client.force_login(user.user if isinstance(user, Member) else user)
                    access.forget(user)
                # Each request in a savepoint rolled back: one persona's change cannot alter the next one's answer.
                with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                    response = client.get(url) if method == "GET" else client.post(url, row.post_data(world, side))
                    transaction.set_rollback(True)
                if method == "GET":
                    got = classify(response)
                else:
                    got = classify_post(response, written := tables_written(queries.captured_queries))
                CASES.append(1)
                expected = expected_by_persona[persona]
                if got != expected:
                    detail = f" (wrote {sorted(set(written))})" if got == DONE else ""
                    failures.append(f"{method} {url} as {persona}: expected {expected}, got {got}{detail}")
                text = None
                if got == DONE and response.status_code == 200 and 'class="errorlist' in (text := body_text(response)):
                    failures.append(f"{method} {url} as {persona}: wrote {sorted(set(written))} yet re-showed the form")
                if persona not in SENSITIVE_PERSONAS:
                    text = body_text(response) if text is None else text
                    leaked = [v for v in world.raw_values if v and v in text]
                    if leaked:
                        failures.append(f"{method} {url} as {persona}: unmasked {leaked}")
    assert not failures, "\n".join(failures)
