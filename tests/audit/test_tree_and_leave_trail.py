"""Changes of the tree (create, rename, move, dissolve) and a withdrawn leave request are audited:
who, from which IP, each field before and after; the branch's page shows its trail."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from activities import leave as leave_services
from activities import services as activity_services
from activities.models import Activity, LeaveRequest
from branches import services as branch_services
from branches.models import Branch

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"


def last_entry(obj) -> LogEntry:
    return LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk").last()


def _url(name: str, code: str) -> str:
    return reverse(f"branches:{name}", args=[code])


def test_creating_a_branch_records_actor_ip_and_its_fields(login_as, tree, orgdept):
    data = {"name": "东村第二网格党支部", "kind": Branch.Kind.BRANCH, "code": "BA2", "grid_name": "东二网格"}
    response = login_as("orgdept").post(_url("create_child", "VA"), data, REMOTE_ADDR=IP)
    assert response.status_code == 302
    entry = last_entry(Branch.objects.get(code="BA2"))
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == orgdept and entry.remote_addr == IP
    assert entry.changes_dict["name"] == ["None", "东村第二网格党支部"]
    assert entry.changes_dict[branch_services.PARENT] == ["None", "东村党总支"]


def test_renaming_a_branch_records_the_name_before_and_after(login_as, tree, secretary_a):
    data = {"name": "东村第一网格党支部（新）", "grid_name": "东一网格"}
    assert login_as("secretary_a").post(_url("rename", "BA"), data, REMOTE_ADDR=IP).status_code == 302
    entry = last_entry(tree.branch_a)
    assert entry.action == LogEntry.Action.UPDATE and entry.actor == secretary_a and entry.remote_addr == IP
    assert entry.changes_dict == {"name": ["东村第一网格党支部", "东村第一网格党支部（新）"]}  # the grid is unchanged


def test_moving_a_branch_records_the_old_and_new_parent(login_as, tree, orgdept):
    assert login_as("orgdept").post(_url("move", "BA"), {"new_parent": "VB"}, REMOTE_ADDR=IP).status_code == 302
    entry = last_entry(tree.branch_a)
    assert entry.actor == orgdept and entry.remote_addr == IP
    assert entry.changes_dict == {branch_services.PARENT: ["东村党总支", "西村党总支"]}


def test_dissolving_a_branch_records_the_date(login_as, tree, secretary_a):
    response = login_as("secretary_a").post(_url("dissolve", "HA"), {"on": "2024-03-01"}, REMOTE_ADDR=IP)
    assert response.status_code == 302
    entry = last_entry(tree.household_a)
    assert entry.actor == secretary_a and entry.remote_addr == IP
    assert entry.changes_dict == {"dissolved_on": ["None", "2024-03-01"]}


def test_a_service_call_records_the_given_actor_without_a_request(tree, orgdept):
    branch_services.branch_dissolve(branch=tree.household_a, on=datetime.date(2024, 3, 1), by=orgdept)
    entry = last_entry(tree.household_a)
    assert entry.actor == orgdept and entry.remote_addr is None


def test_the_branch_page_shows_its_trail_to_those_who_manage_it_only(login_as, tree, member_a):
    login_as("secretary_a").post(_url("rename", "BA"), {"name": "东村网格党支部", "grid_name": "东一网格"})
    page = login_as("orgdept").get(_url("detail", "BA")).content.decode()
    assert 'id="audit"' in page and "东村第一网格党支部 → 东村网格党支部" in page
    viewer_page = login_as("viewer").get(_url("detail", "BA")).content.decode()
    assert 'id="audit"' not in viewer_page


def test_withdrawing_a_leave_request_is_logged_with_actor_and_ip(login_as, tree, member_a, secretary_a):
    start = timezone.now() + datetime.timedelta(days=1)
    lecture = activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.PARTY_LECTURE,
        title="党课",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )
    leave = leave_services.leave_request_create(activity=lecture, member=member_a, reason="外出")
    client = login_as("member_a")
    assert client.post(reverse("activities:leave_withdraw", args=[leave.pk]), REMOTE_ADDR=IP).status_code == 302
    entry = last_entry(leave)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == member_a.user and entry.remote_addr == IP
    assert entry.changes_dict["status"] == [LeaveRequest.Status.PENDING, LeaveRequest.Status.WITHDRAWN]
