"""The audit trail as people read it (issue 15): local time, names instead of ids, labels instead of
field names and stored values, no related-manager internals, file hashes for auditors only, a constant
number of queries whatever the number of entries (branches/audit.py, branches/trail_names.py)."""

from __future__ import annotations

import datetime
import re

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from activities import leave as leave_services
from activities import services as activity_services
from activities.models import Activity
from branches import access, audit
from branches.models import AuditBulkEvent
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

# 09:41 in Shanghai is 01:41 UTC: a page in UTC would say 01:41.
STARTS = datetime.datetime(2030, 1, 7, 1, 41, tzinfo=datetime.UTC)
LOGGED = datetime.datetime(2026, 12, 7, 1, 41, tzinfo=datetime.UTC)
SHA = "ab" * 32


@pytest.fixture
def activity(tree, member_a, secretary_a):
    """A meeting planned by secretary_a (an account without a member record), chaired by 李明."""
    planned = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="支部党员大会",
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=2),
        host=member_a,
        by=secretary_a,
    )
    with set_actor(member_a.user, remote_addr="203.0.113.7"):  # 李明 asks for leave: an actor with a member record
        leave_services.leave_request_create(
            activity=planned, member=member_a, reason="外出", now=STARTS - datetime.timedelta(days=1)
        )
    LogEntry.objects.update(timestamp=LOGGED)
    return planned


def trail_section(page) -> str:
    """The text of the page's audit trail (tags dropped)."""
    html = page.content.decode()
    start = html.index(">", html.index('id="audit"')) + 1
    text = re.sub(r"<[^>]+>", "", html[start : html.index("</section>", start)])
    return re.sub(r"\s+", " ", text)


def changes_of(entries, subject_start: str) -> dict:
    (entry,) = [e for e in entries if e.subject.startswith(subject_start)]
    return {label: (before, after) for label, before, after in entry.changes}


# --- local time -----------------------------------------------------------------------------------


def test_times_are_shown_in_shanghai_time_for_people(login_as, activity):
    section = trail_section(login_as("secretary_a").get(reverse("activities:detail", args=[activity.pk])))
    assert "2026-12-07 09:41" in section and "01:41" not in section  # the entries' time
    assert "开始时间：2030-01-07 09:41" in section  # a logged time value (stored naive, in UTC)
    assert "2026年" not in section and "UTC" not in section


def test_a_logged_time_is_converted_at_the_day_boundary():
    # 20:30 UTC on 31 December is 04:30 on 1 January in Shanghai.
    assert audit._logged_time("2026-12-31 20:30:00.123456") == "2027-01-01 04:30"
    assert audit._logged_time("2026-12-31 20:30:00+00:00") == "2027-01-01 04:30"
    assert audit._logged_time("not a time") == "not a time"


# --- names instead of ids -------------------------------------------------------------------------


def test_the_actor_is_the_members_name_else_the_username(login_as, activity):
    section = trail_section(login_as("secretary_a").get(reverse("activities:detail", args=[activity.pk])))
    assert "李明" in section  # the member who asked for leave, by their record's name
    assert "secretary_a" in section  # an account without a member record, by its username


def test_foreign_keys_are_shown_by_the_objects_name(activity, tree, secretary_a):
    entries = audit.trail_for(activity, related={"activity_id": activity.pk})
    created = changes_of(entries, "活动")
    assert created["党组织"] == ("", tree.branch_a.name)
    assert created["主持人"] == ("", "李明")
    assert created["创建人"] == ("", "secretary_a")
    leave = changes_of(entries, "请假")
    assert leave["活动"] == ("", "支部党员大会") and leave["党员"] == ("", "李明")


def test_a_deleted_object_is_named_as_deleted_not_as_a_bare_number(activity, member_a):
    gone = MemberFactory(branch=activity.branch, name="赵六")
    activity_services.activity_update(activity=activity, host=gone, by=None)
    gone_pk = gone.pk
    activity.host = member_a
    activity.save()
    gone.delete()
    host_changes = [c for e in audit.trail_for(activity) for c in e.changes if c[0] == "主持人"]
    assert ("主持人", "李明", f"已删除（编号{gone_pk}）") in host_changes


def test_a_bulk_events_member_number_is_shown_as_the_members_name(activity, member_a, secretary_a):
    audit.bulk_event_record(
        kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE,
        counts={"voided": 1},
        by=secretary_a,
        obj=activity,
        changes=[(f"党员编号{member_a.pk}", "1.0", "2.5")],
    )
    changes = changes_of(audit.trail_for(activity, bulk=True), "批量登记考勤")
    assert changes["李明"] == ("1.0", "2.5") and changes["作废旧码"] == ("", "1")


# --- labels instead of field names and stored values ----------------------------------------------


def test_fields_choices_and_booleans_are_shown_by_their_labels(activity):
    entries = audit.trail_for(activity, related={"activity_id": activity.pk})
    created = changes_of(entries, "活动")
    assert created["类型"] == ("", "支部党员大会") and created["状态"] == ("", "计划中")
    assert created["启用固定签到码"] == ("", "否")
    activity.fixed_qr_enabled = True
    activity.save()
    (latest, *_) = audit.trail_for(activity)
    assert ("启用固定签到码", "否", "是") in latest.changes


def test_no_ids_nor_related_manager_internals_are_shown(login_as, activity):
    section = trail_section(login_as("secretary_a").get(reverse("activities:detail", args=[activity.pk])))
    for internal in ("activities.Attendance", ".None", "None", "branch_assembly", "planned", "编号"):
        assert internal not in section, internal
    assert not re.search(r"\b(id|host|branch|created_by)\b", section)


# --- file hashes: auditors only -------------------------------------------------------------------


@pytest.fixture
def imported(tree, orgdept):
    return audit.bulk_event_record(
        kind=AuditBulkEvent.Kind.IMPORT_MEMBERS,
        counts={"新增": 2},
        by=orgdept,
        file_name="党员名单.xlsx",
        file_sha256=SHA,
    )


@pytest.mark.parametrize("persona", ["secretary_a", "orgdept"])
def test_a_secretary_sees_the_files_name_but_not_its_hash(login_as, imported, persona):
    page = login_as(persona).get(reverse("health:branch", args=["BA"]), {"period": "2025"})
    section = trail_section(page)
    assert "党员名单.xlsx" in section and SHA not in page.text and "SHA-256" not in page.text


def test_an_auditor_sees_the_files_hash(client, imported):
    client.force_login(UserFactory(username="auditor", is_superuser=True))
    section = trail_section(client.get(reverse("health:branch", args=["BA"]), {"period": "2025"}))
    assert "党员名单.xlsx" in section and f"文件SHA-256：{SHA}" in section


def test_only_superusers_are_auditors(secretary_a, orgdept):
    assert not audit.can_see_file_details(secretary_a) and not audit.can_see_file_details(orgdept)
    assert not audit.can_see_file_details(None)
    assert audit.can_see_file_details(UserFactory(is_superuser=True))


# --- a constant number of queries ------------------------------------------------------------------


def _render_trail(activity, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load audit_trail %}{% audit_trail obj branch related='activity_id' bulk=True %}")
    return template.render(Context({"request": request, "obj": activity, "branch": activity.branch}))


@pytest.mark.parametrize("more", [0, 12])
def test_the_trail_runs_three_queries_whatever_the_entries_and_names(
    activity, tree, secretary_a, django_assert_num_queries, more
):
    for i in range(more):  # each with its own member, actor and bulk event
        member = MemberFactory(branch=tree.branch_a, name=f"党员{i}", user=UserFactory())
        with set_actor(member.user):
            leave_services.leave_request_create(
                activity=activity, member=member, reason="外出", now=STARTS - datetime.timedelta(days=1)
            )
        audit.bulk_event_record(kind=AuditBulkEvent.Kind.RECORD_ATTENDANCE, counts={"新增": 1}, obj=activity)
    access.grants(secretary_a)  # read once per request whatever the page
    # the entries, the bulk events, and every name they mention (one UNION query)
    with django_assert_num_queries(3):
        html = _render_trail(activity, secretary_a)
    assert html.count('class="audit-entry"') == 2 + 2 * more
    assert all(f"党员{i}" in html for i in range(more))


def test_a_trail_naming_nobody_reads_no_names(tree, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert audit._render([], [], viewer=None) == []


# --- on a phone -------------------------------------------------------------------------------------


def test_the_trail_is_a_list_of_cards_not_a_wide_table(activity, secretary_a):
    html = _render_trail(activity, secretary_a)
    assert "<table" not in html and 'class="audit-entry"' in html and "css/audit.css" in html
