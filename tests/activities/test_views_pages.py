"""Reading pages: entry point, workbench, list, compliance, the activity page and its files."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from activities import checkin, page_selectors, services
from activities import leave as leave_services
from activities import records as record_services
from activities.models import Activity
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.fixture
def assembly(make_activity, tree):
    return make_activity(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, title="第三季度支部党员大会")


@pytest.fixture
def activity_b(make_activity, tree):
    return make_activity(tree.branch_b, Activity.Kind.THEME_DAY, title="西村主题党日")


# --- the entry point ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "target"),
    [("secretary_a", "workbench"), ("viewer", "list"), ("member_a", "mine")],
)
def test_index_sends_each_user_to_their_page(login_as, tree, persona, target):
    response = login_as(persona).get(reverse("activities:index"))
    assert response.status_code == 302 and response.url == reverse(f"activities:{target}")


@pytest.mark.parametrize("name", ["index", "workbench", "list", "compliance", "mine"])
def test_pages_send_anonymous_to_login(client, tree, name):
    assert _login_redirect(client.get(reverse(f"activities:{name}")))


# --- the workbench ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member_a", "viewer"])
def test_workbench_refuses_users_who_manage_nothing(login_as, persona):
    assert login_as(persona).get(reverse("activities:workbench")).status_code == 403


def test_workbench_lists_what_the_secretary_should_do(login_as, make_activity, tree, member_a, activity_b):
    now = timezone.now()
    upcoming = make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE, title="十月党课", start=now + 24 * HOUR)
    past = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, title="九月主题党日", start=now - 5 * HOUR)
    leave_services.leave_request_create(activity=upcoming, member=member_a, reason="出差")
    response = login_as("secretary_a").get(reverse("activities:workbench"))
    wb = response.context["wb"]
    assert [a.pk for a in wb.upcoming] == [upcoming.pk]
    assert [a.pk for a in wb.to_log] == [past.pk]
    assert [leave.member_id for leave in wb.leave_requests] == [member_a.pk]
    assert "西村主题党日" not in response.text  # branch B is not secretary A's
    assert "出差" in response.text


def test_workbench_shows_required_meetings_not_yet_held(login_as, tree, member_a):
    response = login_as("secretary_a").get(reverse("activities:workbench"))
    missing = {(m.branch.code, m.line.kind) for m in response.context["wb"].missing}
    assert ("BA", Activity.Kind.THEME_DAY) in missing and ("BA", Activity.Kind.BRANCH_ASSEMBLY) in missing
    assert all(code != "BB" for code, _ in missing)


def test_workbench_drops_a_requirement_once_held(login_as, make_activity, tree, member_a, secretary_a):
    day = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=timezone.now() - HOUR, hours=0.5)
    services.activity_hold(activity=day, by=secretary_a)
    missing = login_as("secretary_a").get(reverse("activities:workbench")).context["wb"].missing
    assert (Activity.Kind.THEME_DAY, "month") not in {(m.line.kind, m.line.window.kind) for m in missing}


# session, user, grants, roots, upcoming, to log, leave requests, the root's size (branches.summaries), the
# compliance report (5), the art. 9 warning; and a count for each of the three lists longer than the workbench shows
WORKBENCH_QUERIES = 14


@pytest.mark.parametrize(("size", "counted"), [(1, 0), (12, 3), (40, 3)])
def test_workbench_runs_the_same_queries_for_any_size(
    login_as, make_activity, tree, bulk_members, size, counted, django_assert_num_queries
):
    members = bulk_members(tree.branch_a, size)
    now = timezone.now()
    for i in range(size):
        upcoming = make_activity(tree.branch_a, start=now + (i + 1) * HOUR)
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=now - (i + 5) * HOUR)
        leave_services.leave_request_create(activity=upcoming, member=members[i], reason="出差")
    client = login_as("secretary_a")
    with django_assert_num_queries(WORKBENCH_QUERIES + counted):
        response = client.get(reverse("activities:workbench"))
    wb = response.context["wb"]
    assert wb.counts["leave"] == size and len(wb.leave_requests) == min(size, page_selectors.WORKBENCH_LIMIT)


# --- the list -----------------------------------------------------------------------------


def test_list_refuses_a_member_without_grants(login_as, member_a):
    assert login_as("member_a").get(reverse("activities:list")).status_code == 403


def test_list_shows_only_the_users_subtrees(login_as, assembly, activity_b):
    page = login_as("secretary_a").get(reverse("activities:list")).text
    assert "第三季度支部党员大会" in page and "西村主题党日" not in page
    page = login_as("orgdept").get(reverse("activities:list")).text
    assert "第三季度支部党员大会" in page and "西村主题党日" in page
    assert login_as("other_orgdept").get(reverse("activities:list")).context["rows"] == []


def test_list_filters_by_kind_branch_and_month(login_as, make_activity, tree, assembly, activity_b):
    last_year = make_activity(tree.branch_b, title="去年的党课", start=timezone.now() - datetime.timedelta(days=400))
    client = login_as("orgdept")

    def titles(**params):
        return {a.title for a, _ in client.get(reverse("activities:list"), params).context["rows"]}

    assert titles(kind=Activity.Kind.THEME_DAY) == {"西村主题党日"}
    assert titles(branch="VA") == {"第三季度支部党员大会"}
    month = timezone.localtime(last_year.starts_at).strftime("%Y-%m")
    assert titles(month=month) == {"去年的党课"}
    assert titles(month="") == {"第三季度支部党员大会", "西村主题党日", "去年的党课"}
    assert client.get(reverse("activities:list"), {"month": "not-a-month"}).status_code == 400


@pytest.mark.parametrize("code", ["BB", "NOPE"])
def test_list_filter_by_a_branch_outside_the_subtree_is_an_error_on_the_filter(login_as, make_activity, tree, code):
    make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=timezone.now() + HOUR)
    response = login_as("secretary_a").get(reverse("activities:list"), {"branch": code})
    assert response.status_code == 200 and response.context["branch"] is None  # the filter is not applied
    assert response.context["filters"].errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]
    assert "找不到该党组织，或不在您的管理范围内" in response.text and f'value="{code}"' in response.text
    assert len(response.context["rows"]) == 1  # the user's own subtree, never the other one


def test_list_filter_takes_a_branchs_name(login_as, make_activity, tree):
    make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=timezone.now() + HOUR)
    make_activity(tree.branch_b, Activity.Kind.THEME_DAY, start=timezone.now() + HOUR)
    response = login_as("orgdept").get(reverse("activities:list"), {"branch": "西村党总支"})
    assert response.context["branch"] == tree.village_b and len(response.context["rows"]) == 1
    assert ">西村党总支</span>" in response.text  # the picker names the chosen branch


def test_list_is_paginated(login_as, make_activity, tree):
    now = timezone.now()
    for i in range(31):
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=now + i * HOUR)
    client = login_as("secretary_a")
    first = client.get(reverse("activities:list")).context
    second = client.get(reverse("activities:list"), {"page": 2}).context
    assert len(first["rows"]) == 30 and first["page"].has_next
    assert len(second["rows"]) == 1 and not second["page"].has_next


@pytest.mark.parametrize("size", [1, 25])
def test_list_runs_the_same_queries_for_any_size(login_as, make_activity, tree, size, django_assert_num_queries):
    now = timezone.now()
    for i in range(size):
        make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=now + i * HOUR)
    client = login_as("orgdept")
    # session, user, grants, the branch filter, one page of activities, their counts
    with django_assert_num_queries(6):
        response = client.get(reverse("activities:list"), {"branch": "TOWN", "kind": Activity.Kind.THEME_DAY})
    assert len(response.context["rows"]) == size


# --- compliance ---------------------------------------------------------------------------


def test_compliance_refuses_a_member_without_grants(login_as, member_a):
    assert login_as("member_a").get(reverse("activities:compliance")).status_code == 403


def test_compliance_of_a_branch_outside_the_subtree_is_an_error_on_the_field(login_as, tree):
    response = login_as("secretary_b").get(reverse("activities:compliance"), {"branch": "BA", "kind": "year"})
    assert response.status_code == 200 and response.context["root"] == tree.branch_b  # the user's own
    assert response.context["form"].errors["branch"] == ["找不到该党组织，或不在您的管理范围内"]
    assert response.context["period"].kind == "year"  # the period chosen still applies


def test_compliance_shows_its_branch_in_the_picker(login_as, tree):
    page = login_as("orgdept").get(reverse("activities:compliance")).text
    assert 'name="branch" value="TOWN"' in page and ">城关镇党委</span>" in page
    page = login_as("orgdept").get(reverse("activities:compliance"), {"branch": "VB"}).text
    assert 'name="branch" value="VB"' in page and ">西村党总支</span>" in page


def test_compliance_shows_held_against_required_per_branch(login_as, make_activity, tree, member_a, member_b):
    start = timezone.now() - datetime.timedelta(days=40)
    day = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=start)
    services.activity_hold(activity=day, by=None)
    local = timezone.localtime(start)
    response = login_as("orgdept").get(
        reverse("activities:compliance"), {"kind": "month", "year": local.year, "index": local.month}
    )
    assert response.status_code == 200
    assert response.context["period"].label == f"{local.year}-{local.month:02d}"
    rows = {row.branch.code: row for row in response.context["rows"]}
    theme = {cell.kind: cell for cell in rows["BA"].cells if cell}[Activity.Kind.THEME_DAY]
    assert (theme.held, theme.required, theme.status) == (1, 1, "met")
    theme_b = {cell.kind: cell for cell in rows["BB"].cells if cell}[Activity.Kind.THEME_DAY]
    assert (theme_b.held, theme_b.status) == (0, "missing")
    children = {child.code: tally for child, tally in response.context["children"]}
    assert children["VA"].met >= 1 and children["VB"].missing >= 1


def test_compliance_accepts_quarters_and_years(login_as, tree, member_a):
    client = login_as("secretary_a")
    assert (
        client.get(reverse("activities:compliance"), {"kind": "quarter", "year": 2026, "index": 3})
        .context["period"]
        .label
        == "2026Q3"
    )
    assert (
        client.get(reverse("activities:compliance"), {"kind": "year", "year": 2025}).context["period"].label == "2025"
    )
    first_quarter = client.get(reverse("activities:compliance"), {"kind": "quarter", "year": 2026, "index": 1})
    assert "year=2025&index=4" in first_quarter.context["previous_url"]
    assert "year=2026&index=2" in first_quarter.context["next_url"]
    impossible = client.get(reverse("activities:compliance"), {"kind": "quarter", "year": 2026, "index": 9})
    assert impossible.context["period"].kind == "month"  # falls back to this month


@pytest.mark.parametrize("extra", [0, 6])
def test_compliance_runs_the_same_queries_for_any_size(login_as, tree, extra, django_assert_num_queries):
    from branches.models import Branch
    from tests.factories import make_branch

    for i in range(extra):
        MemberFactory(branch=make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"西村第{i + 2}网格党支部"))
    client = login_as("orgdept")
    # session, user, grants, top branch, the subtree's size (branches.summaries), the report (5), children
    with django_assert_num_queries(11):
        response = client.get(reverse("activities:compliance"))
    assert len(response.context["children"]) == 2


# --- the activity page --------------------------------------------------------------------


def test_detail_sends_anonymous_to_login(client, assembly):
    assert _login_redirect(client.get(reverse("activities:detail", args=[assembly.pk])))


@pytest.mark.parametrize("persona", ["secretary_b", "other_orgdept", "member_a"])
def test_detail_outside_the_subtree_is_404(login_as, assembly, persona):
    assert login_as(persona).get(reverse("activities:detail", args=[assembly.pk])).status_code == 404


def test_detail_of_a_guessed_id_is_404(login_as, assembly):
    assert login_as("secretary_a").get(reverse("activities:detail", args=[assembly.pk + 1000])).status_code == 404


def test_detail_shows_the_sheet_counts_and_quorum(login_as, assembly, member_a, tree, secretary_a):
    MemberFactory(branch=tree.branch_a, name="赵强")
    checkin.check_in(activity=assembly, member=member_a, method="manual", by=secretary_a)
    response = login_as("secretary_a").get(reverse("activities:detail", args=[assembly.pk]))
    summary = response.context["summary"]
    assert (summary.expected, summary.present, summary.leave, summary.absent) == (2, 1, 0, 0)
    assert response.context["quorum"].present == 1 and not response.context["quorum"].ok
    assert "现场代签" in response.text and "secretary_a" in response.text  # how and who
    assert "赵强" in response.text and "代签" in response.text


def test_detail_offers_the_secretarys_check_in_only_once_check_in_opens(login_as, make_activity, tree, member_a):
    """Next week's meeting: the expected list, no 代签 (the service would refuse it), and when it opens."""
    later = make_activity(tree.branch_a, start=timezone.now() + datetime.timedelta(days=7))
    response = login_as("secretary_a").get(reverse("activities:detail", args=[later.pk]))
    manual = reverse("activities:manual_check_in", args=[later.pk])
    assert not response.context["can_sign"] and manual not in response.text and member_a.name in response.text
    assert "届时可现场代签" in response.text
    soon = make_activity(tree.branch_a)  # starts in 10 minutes: check-in opened 20 minutes ago
    response = login_as("secretary_a").get(reverse("activities:detail", args=[soon.pk]))
    assert response.context["can_sign"] and reverse("activities:manual_check_in", args=[soon.pk]) in response.text


def test_a_rows_check_in_form_carries_a_token_the_csrf_check_accepts(assembly, member_a, secretary_a):
    """Every row's hidden form takes the page's one CSRF token (not a tag per row): posted as a browser
    would, with the check enforced, it checks the member in."""
    import re

    from django.test import Client

    from activities.models import Attendance

    client = Client(enforce_csrf_checks=True)
    client.force_login(secretary_a)
    body = client.get(reverse("activities:detail", args=[assembly.pk])).text
    form = re.search(rf'<form[^>]*id="manual-{member_a.pk}"[^>]*>(.*?)</form>', body, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1)).group(1)
    url = reverse("activities:manual_check_in", args=[assembly.pk])
    assert client.post(url, {"member": member_a.pk}).status_code == 403  # without it: refused
    assert client.post(url, {"member": member_a.pk, "csrfmiddlewaretoken": token}).status_code == 302
    assert Attendance.objects.get(activity=assembly, member=member_a).status == Attendance.Status.PRESENT


@pytest.mark.parametrize("size", [1, 30])
def test_detail_runs_the_same_queries_for_any_roster(
    login_as, assembly, tree, bulk_members, secretary_a, size, django_assert_num_queries
):
    members = bulk_members(tree.branch_a, size)
    checkin.check_in(activity=assembly, member=members[0], method="manual", by=secretary_a)
    client = login_as("secretary_a")
    # session, user, grants, activity, files, sheet (3), counts (2), quorum (2), resolutions, extra kinds,
    # leave requests, and the audit trail: its entries, its bulk events and the names they mention
    # (branches/audit.py)
    with django_assert_num_queries(18):
        response = client.get(reverse("activities:detail", args=[assembly.pk]))
    assert len(response.context["sheet"]) == size


def test_detail_for_a_viewer_shows_no_actions(login_as, assembly, member_a):
    response = login_as("viewer").get(reverse("activities:detail", args=[assembly.pk]))
    assert response.status_code == 200 and not response.context["can_manage"]
    assert reverse("activities:edit", args=[assembly.pk]) not in response.text
    assert reverse("activities:manual_check_in", args=[assembly.pk]) not in response.text


def test_detail_lists_leave_requests_with_decision_buttons(login_as, make_activity, tree, member_a):
    later = make_activity(tree.branch_a, start=timezone.now() + 24 * HOUR)
    leave = leave_services.leave_request_create(activity=later, member=member_a, reason="住院")
    response = login_as("secretary_a").get(reverse("activities:detail", args=[later.pk]))
    assert response.context["leave_requests"] == [leave]
    assert reverse("activities:leave_decide", args=[later.pk, leave.pk]) in response.text


@pytest.fixture
def media(settings):
    """Activity files are kept in the private storage, not under MEDIA_ROOT."""
    return Path(settings.PRIVATE_FILES_ROOT)


def test_file_is_served_only_inside_the_subtree(login_as, assembly, secretary_a, media):
    item = record_services.activity_attach_file(
        activity=assembly, upload=SimpleUploadedFile("合影.png", PNG), by=secretary_a
    )
    url = reverse("activities:file", args=[assembly.pk, item.pk])
    assert login_as("secretary_b").get(url).status_code == 404
    response = login_as("viewer").get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert login_as("viewer").get(reverse("activities:file", args=[assembly.pk, item.pk + 99])).status_code == 404


def test_detail_of_an_activity_held_and_cancelled_by_nobody_is_served(
    login_as, assembly, make_activity, tree, member_a
):
    """Demo and imported history: a held activity without ``held_by`` (the organization department saw a 500)."""
    services.activity_hold(activity=assembly, by=None, now=assembly.ends_at)
    assert Activity.objects.get(pk=assembly.pk).held_by is None
    cancelled = make_activity(tree.branch_a, Activity.Kind.PARTY_LECTURE)
    Activity.objects.filter(pk=cancelled.pk).update(
        status=Activity.Status.CANCELLED, cancelled_at=timezone.now(), cancelled_by=None
    )
    for activity in (assembly, cancelled):
        response = login_as("orgdept").get(reverse("activities:detail", args=[activity.pk]))
        assert response.status_code == 200


def test_person_names_the_user_or_nobody(secretary_a):
    from core.templatetags.people import person

    secretary_a.first_name, secretary_a.last_name = "", ""
    assert person(secretary_a) == secretary_a.username
    secretary_a.first_name = "王书记"
    assert person(secretary_a) == "王书记"
    assert person(None) == ""
