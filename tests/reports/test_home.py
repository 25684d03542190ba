"""The first page of each role (issue 15, "First pages"): reports/home.py, partysite/views.py, templates/home/."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import leave as leave_services
from activities import services as activity_services
from activities.checkin import check_in
from activities.models import Activity
from branches import access
from branches.audit import bulk_event_record
from branches.models import AuditBulkEvent, Branch
from core.periods import add_months, month_start
from health.models import HealthCheck
from health.services import health_checks_compute, health_checks_return, health_checks_submit
from members.models import DuesPayment, Member
from reports import home
from tests.factories import MemberFactory, UserFactory, make_branch
from tests.health.builders import ABSENT, LEAVE, PRESENT, meeting

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def _plan(branch, title, start, by, kind=Activity.Kind.PARTY_LECTURE):
    return activity_services.activity_create(
        branch=branch, kind=kind, title=title, starts_at=start, ends_at=start + 2 * HOUR, by=by
    )


def _section(html: str, heading_id: str) -> str:
    """The HTML of the section headed ``heading_id`` (up to the next section)."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def _count(html: str, heading_id: str) -> str:
    return re.search(r'<span class="count[^"]*">([^<]*)</span>', _section(html, heading_id)).group(1)


# --------------------------------------------------------------------------- who lands where


def test_each_persona_lands_on_its_own_first_page(login_as, tree, member_a, secretary_a, orgdept, reviewer, viewer):
    expected = {
        "member_a": "home/member.html",
        "secretary_a": "home/secretary.html",
        "orgdept": "home/orgdept.html",  # holds review_health
        "reviewer": "home/orgdept.html",
        "viewer": "home/orgdept.html",  # reads a subtree with branches below
    }
    for persona, template in expected.items():
        response = login_as(persona).get(reverse("home"))
        assert response.status_code == 200 and response.templates[0].name == template, persona


def test_a_general_branch_secretary_is_an_organization_department(client, tree):
    user = UserFactory(username="village_secretary")
    access.grant(user, access.MANAGE, tree.village_a)
    assert home.home_role(user, member=False) == home.ORGDEPT
    branch_only = UserFactory(username="branch_secretary")
    access.grant(branch_only, access.MANAGE, tree.branch_a)
    assert home.home_role(branch_only, member=True) == home.SECRETARY


def test_an_account_with_neither_grant_nor_member_record_is_told_whom_to_ask(login_as, outsider):
    response = login_as("outsider").get(reverse("home"))
    assert response.status_code == 200 and "请联系组织部" in response.text


def test_home_sends_anonymous_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --------------------------------------------------------------------------- the member


def test_member_sees_the_next_activity_and_then_that_they_checked_in(login_as, tree, member_a, secretary_a):
    now = timezone.now()
    soon = _plan(tree.branch_a, "本月党课", now + HOUR / 6, secretary_a)
    _plan(tree.branch_a, "下月主题党日", now + 30 * 24 * HOUR, secretary_a, Activity.Kind.THEME_DAY)
    client = login_as("member_a")
    html = _section(client.get(reverse("home")).text, "h-next")
    assert "本月党课" in html and "下月主题党日" not in html  # the next one only
    assert "签到进行中" in html and '<summary class="button">请假</summary>' in html
    check_in(activity=soon, member=member_a, nonce="home-1", by=member_a.user)
    html = _section(client.get(reverse("home")).text, "h-next")
    assert "已签到" in html and "请假" not in html and "签到进行中" not in html


def test_member_sees_the_years_attendance_rate(tree, member_a):
    this_year = timezone.localdate().replace(month=1, day=2)
    meeting(tree.branch_a, Activity.Kind.THEME_DAY, this_year, {member_a: PRESENT})
    meeting(tree.branch_a, Activity.Kind.PARTY_LECTURE, this_year, {member_a: ABSENT})
    meeting(tree.branch_a, Activity.Kind.BRANCH_ASSEMBLY, this_year, {member_a: LEAVE})
    meeting(tree.branch_a, Activity.Kind.THEME_DAY, this_year.replace(year=this_year.year - 1), {member_a: ABSENT})
    rate = home.attendance_rate(member_a, this_year.year)
    assert (rate.expected, rate.present, rate.leave, rate.rate) == (3, 1, 1, Decimal("50"))  # 1 / (3 - 1)
    assert home.attendance_rate(MemberFactory(branch=tree.branch_a), this_year.year).rate is None


def test_member_sees_this_months_dues_and_the_arrears_before_it(tree, member_a):
    today = timezone.localdate()
    this_month = month_start(today)

    def row(month, due, paid, **fields):
        return DuesPayment.objects.create(
            member=member_a, branch=tree.branch_a, month=month, due=Decimal(due), paid=Decimal(paid), **fields
        )

    row(this_month, "12.00", "0")
    row(add_months(this_month, -1), "12.00", "2.00")  # 10 owed
    row(add_months(this_month, -2), "12.00", "12.00")
    row(add_months(this_month, -3), "12.00", "0", cancelled_at=timezone.now())  # counts nowhere
    dues = home.my_dues(member_a, today)
    assert (dues.due, dues.paid, dues.paid_this_month) == (Decimal("12.00"), Decimal("0.00"), False)
    assert (dues.months_in_arrears, dues.arrears) == (1, Decimal("10.00"))


def test_member_home_shows_the_latest_published_score_and_study_hours(login_as, tree, member_a):
    year = timezone.localdate().year - 1
    health_checks_compute(period=str(year), branch=tree.branch_a)
    HealthCheck.objects.filter(member=member_a).update(status=HealthCheck.Status.PUBLISHED)
    check = HealthCheck.objects.get(member=member_a)
    html = login_as("member_a").get(reverse("home")).text
    assert f"<b>{check.total}</b>" in html and check.get_grade_display() in html
    assert "年学时" in html and "/ 32</b>" in html  # STUDY_HOURS_MEMBER


@pytest.mark.parametrize("size", [1, 6])
def test_member_home_runs_the_same_queries_for_any_history(
    login_as, tree, member_a, secretary_a, size, django_assert_num_queries
):
    now = timezone.now()
    for i in range(size):
        upcoming = _plan(tree.branch_a, f"党课{i}", now + (i + 24) * HOUR, secretary_a)
        leave_services.leave_request_create(activity=upcoming, member=member_a, reason="外出")
        meeting(
            tree.branch_a, Activity.Kind.THEME_DAY, timezone.localdate().replace(month=1, day=2), {member_a: PRESENT}
        )
    client = login_as("member_a")
    # session, user, the nav's grants, member, next activity, attendance, dues, score, 学时
    with django_assert_num_queries(9):
        response = client.get(reverse("home"))
    assert response.context["home"].next_card.leave_status == "pending"


# --------------------------------------------------------------------------- the secretary


def test_secretary_sees_a_pending_leave_with_its_buttons(login_as, tree, member_a, secretary_a):
    lecture = _plan(tree.branch_a, "十月党课", timezone.now() + 24 * HOUR, secretary_a)
    leave = leave_services.leave_request_create(activity=lecture, member=member_a, reason="外出务工")
    page = login_as("secretary_a").get(reverse("home")).text
    html = _section(page, "h-leave")
    assert "李明" in html and "外出务工" in html and _count(page, "h-leave") == "1"
    assert reverse("activities:leave_decide", args=[lecture.pk, leave.pk]) in html


def test_secretary_sees_a_returned_check_with_its_comment(login_as, tree, member_a, secretary_a, orgdept):
    period = str(timezone.localdate().year - 1)
    health_checks_compute(period=period, branch=tree.branch_a)
    health_checks_submit(branch=tree.branch_a, period=period, by=secretary_a)
    health_checks_return(branch=tree.branch_a, period=period, by=orgdept, comment="请补充李明的党费记录")
    html = _section(login_as("secretary_a").get(reverse("home")).text, "h-returned")
    assert "请补充李明的党费记录" in html and "退回 1 份" in html
    assert f"{reverse('health:branch', args=[tree.branch_a.code])}?period={period}" in html
    # Another branch's returned checks are not the secretary's
    assert "请补充" not in _section(login_as("secretary_b").get(reverse("home")).text, "h-returned")


def test_secretary_sees_meetings_to_log_and_to_plan(login_as, tree, member_a, secretary_a):
    _plan(tree.branch_a, "上周的支委会", timezone.now() - 7 * 24 * HOUR, secretary_a, Activity.Kind.THEME_DAY)
    html = login_as("secretary_a").get(reverse("home")).text
    assert "上周的支委会" in _section(html, "h-to-log")
    missing = _section(html, "h-missing")  # branch A has a member: this month's 主题党日 is still to hold
    assert "主题党日" in missing and f"?branch={tree.branch_a.code}&amp;kind=theme_day" in missing


def test_secretary_sees_a_probation_that_ends_within_30_days(login_as, tree, secretary_a):
    today = timezone.localdate()
    soon = MemberFactory(branch=tree.branch_a, name="赵预备", status=Member.Status.PROBATIONARY)
    soon.joined_on, soon.confirmed_on = today.replace(year=today.year - 1) + datetime.timedelta(days=20), None
    soon.save()
    later = MemberFactory(branch=tree.branch_a, name="钱预备", status=Member.Status.PROBATIONARY)
    later.joined_on, later.confirmed_on = today.replace(year=today.year - 1) + datetime.timedelta(days=40), None
    later.save()
    html = _section(login_as("secretary_a").get(reverse("home")).text, "h-probation")
    assert "赵预备" in html and "钱预备" not in html


@pytest.mark.parametrize("size", [1, 5])
def test_secretary_home_runs_the_same_queries_for_any_size(
    login_as, tree, member_a, secretary_a, orgdept, size, django_assert_num_queries
):
    now = timezone.now()
    for i in range(size):
        member = MemberFactory(branch=tree.branch_a, user=UserFactory())
        lecture = _plan(tree.branch_a, f"党课{i}", now + (i + 24) * HOUR, secretary_a)
        leave_services.leave_request_create(activity=lecture, member=member, reason="外出")
        _plan(tree.branch_a, f"旧会{i}", now - (i + 24) * HOUR, secretary_a)
    period = str(timezone.localdate().year - 1)
    health_checks_compute(period=period, branch=tree.branch_a)
    health_checks_submit(branch=tree.branch_a, period=period, by=secretary_a)
    health_checks_return(branch=tree.branch_a, period=period, by=orgdept, comment="补充材料")
    client = login_as("secretary_a")
    client.get(reverse("home"))
    queries = _secretary_queries()
    with django_assert_num_queries(queries):
        response = client.get(reverse("home"))
    assert response.context["home"].leave.count == size


def _secretary_queries() -> int:
    """session, user, grants, the role's roots, the workbench (roots, upcoming, to log, leave, the
    root's size, the art. 9 warning, the compliance report's five for the one root; no count: each list
    is shorter than the workbench shows), probation ending, probation decisions awaiting approval, the
    returned checks."""
    return 4 + (4 + 1 + 1 + 5) + 1 + 1 + 1


# --------------------------------------------------------------------------- the organization department


def test_orgdept_sees_every_branchs_health_progress_including_those_not_computed(login_as, tree, orgdept, secretary_a):
    period = str(timezone.localdate().year)
    MemberFactory(branch=tree.branch_a, name="甲")
    MemberFactory(branch=tree.branch_b, name="乙")
    health_checks_compute(period=period, branch=tree.branch_a)
    response = login_as("orgdept").get(reverse("home"))
    data = response.context["home"]
    assert data.health_period == period
    assert [(p.branch.code, p.state) for p in data.progress.rows] == [("BA", "open"), ("BB", "none")]
    assert data.progress_counts == {"none": 1, "open": 1, "done": 0}
    html = _section(response.text, "h-health")
    assert "西村第一网格党支部" in html and "尚未计算" in html and "已提交 0/1" in html
    health_checks_submit(branch=tree.branch_a, period=period, by=secretary_a)
    data = login_as("orgdept").get(reverse("home")).context["home"]
    assert [p.branch.code for p in data.progress.rows] == ["BB"] and data.progress_counts["done"] == 1


def test_orgdept_health_period_is_last_year_until_this_years_checks_exist(tree, orgdept):
    today = timezone.localdate()
    assert home.orgdept_home(orgdept, today=today).health_period == str(today.year - 1)


def test_orgdept_sees_last_months_missing_meetings_with_a_link_to_compliance(login_as, tree, member_a, orgdept):
    today = timezone.localdate()
    last_month = add_months(month_start(today), -1)
    data = login_as("orgdept").get(reverse("home")).context["home"]
    assert data.month.start == last_month
    # Every 党支部 and its 党小组 with members: none held last month's 主题党日 or 党小组会
    assert [unit.branch.code for unit in data.missing.rows] == ["BA", "GA", "BB"]
    assert "主题党日" in data.missing.rows[0].kinds and data.missing_lines >= 3
    url = data.missing.url
    assert (
        url.startswith(reverse("activities:compliance")) and f"index={last_month.month}" in url and "branch=TOWN" in url
    )


def test_orgdept_sees_structure_warnings_and_recent_imports(login_as, tree, member_a, orgdept):
    bulk_event_record(
        kind=AuditBulkEvent.Kind.IMPORT_MEMBERS,
        counts={"新增": 3},
        by=orgdept,
        branch=tree.branch_a,
        file_name="东村.xlsx",
    )
    bulk_event_record(kind=AuditBulkEvent.Kind.IMPORT_MEMBERS, counts={"新增": 1}, by=None, branch=tree.branch_c)
    html = login_as("orgdept").get(reverse("home")).text
    structure = _section(html, "h-structure")  # today's roster (reports.structure.structure_warnings)
    assert "东村第一网格党支部" in structure and "正式党员不足3人" in structure  # one full member
    imports = _section(html, "h-imports")
    assert "东村.xlsx" in imports and _count(html, "h-imports") == "1"  # the other town's is not shown


def test_viewer_gets_no_link_it_may_not_open(login_as, tree, member_a, viewer):
    data = login_as("viewer").get(reverse("home")).context["home"]
    assert data.progress.url == reverse("health:index") and not data.can_review_health
    assert data.imports.url == ""  # the import page is for those who manage


@pytest.mark.parametrize("persona", ["member_a", "secretary_a", "orgdept", "reviewer", "viewer", "other_orgdept"])
def test_every_link_on_a_first_page_opens(login_as, tree, member_a, secretary_a, orgdept, persona):
    lecture = _plan(tree.branch_a, "十月党课", timezone.now() + 24 * HOUR, secretary_a)
    leave_services.leave_request_create(activity=lecture, member=member_a, reason="外出")
    _plan(tree.branch_a, "旧会", timezone.now() - 24 * HOUR, secretary_a)
    client = login_as(persona)
    html = client.get(reverse("home")).text
    main = html.split('id="main"', 1)[1]
    links = {h.replace("&amp;", "&") for h in re.findall(r'<a [^>]*href="(/[^"#]*)', main)}
    assert links
    for link in links:
        status = client.get(link, follow=True).status_code
        assert status == 200, (persona, link, status)


@pytest.mark.parametrize("branches", [1, 12])
def test_orgdept_home_runs_the_same_queries_for_any_subtree(
    login_as, tree, orgdept, branches, django_assert_num_queries
):
    for i in range(branches):
        branch = make_branch(tree.village_b, Branch.Kind.BRANCH, name=f"新支部{i}", code=f"NEW{i}")
        for _ in range(3):
            MemberFactory(branch=branch)
        bulk_event_record(kind=AuditBulkEvent.Kind.IMPORT_DUES, counts={"新增": 3}, by=orgdept, branch=branch)
    health_checks_compute(period=str(timezone.localdate().year), branch=tree.town)
    client = login_as("orgdept")
    # session, user, grants, the roots, the health period, the root's size (branches.summaries), the
    # compliance report's five, the progress, the structure warnings' two, the imports
    with django_assert_num_queries(15):
        response = client.get(reverse("home"))
    assert response.context["home"].progress_counts["open"] == branches
