"""The branch's health page (health/branch_page.py): only the actions the state allows, a return's
banner with the comment, the history with a bulk step on one line; ``returned_checks`` for the home page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from branches import access
from health import branch_page
from health.models import HealthCheck, HealthCheckEvent
from health.selectors import returned_checks
from health.services import (
    health_check_adjust,
    health_checks_approve,
    health_checks_compute,
    health_checks_publish,
    health_checks_return,
    health_checks_submit,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

P = "2025"
URL = f"/health/branches/BA/?period={P}"
COMMENT = "党费项目核对有误，请更正后重新提交"


@pytest.fixture
def computed(tree, member_a):
    for _ in range(4):
        MemberFactory(branch=tree.branch_a)
    health_checks_compute(period=P, branch=tree.branch_a)
    return HealthCheck.objects.filter(branch=tree.branch_a, period=P)


def page(login_as, persona) -> str:
    response = login_as(persona).get(URL)
    assert response.status_code == 200
    return response.content.decode()


def action_urls(body: str) -> set[str]:
    names = {"compute", "submit", "approve", "return", "publish"}
    return {name for name in names if reverse(f"health:{name}", args=["BA"]) in body}


def test_a_draft_offers_the_secretary_compute_and_submit_and_the_reviewer_nothing_to_decide(login_as, computed):
    assert action_urls(page(login_as, "secretary_a")) == {"compute", "submit"}
    assert action_urls(page(login_as, "reviewer")) == {"compute"}


def test_a_submitted_branch_offers_the_secretary_nothing_and_says_it_waits(login_as, computed, secretary_a):
    health_checks_submit(branch=computed[0].branch, period=P, by=secretary_a)
    body = page(login_as, "secretary_a")
    assert action_urls(body) == set()
    assert "已提交，等待组织部审核。" in body
    assert reverse("health:adjust", args=[computed[0].pk]) not in body and "不可调整" in body
    assert action_urls(page(login_as, "reviewer")) == {"approve", "return"}


def test_an_approved_branch_offers_publish_only_and_a_published_one_nothing(login_as, computed, secretary_a, orgdept):
    branch = computed[0].branch
    health_checks_submit(branch=branch, period=P, by=secretary_a)
    health_checks_approve(branch=branch, period=P, by=orgdept)
    assert action_urls(page(login_as, "reviewer")) == {"publish"}
    assert "已审核通过，等待组织部公示。" in page(login_as, "secretary_a")
    health_checks_publish(branch=branch, period=P, by=orgdept)
    for persona in ("reviewer", "secretary_a"):
        body = page(login_as, persona)
        assert action_urls(body) == set() and "本期体检结果已公示，不能再修改。" in body


def test_a_withdrawn_check_counts_for_no_action(tree, computed, secretary_a):
    checks = list(computed)
    HealthCheck.objects.filter(pk__in=[c.pk for c in checks]).update(withdrawn_at=datetime.datetime.now(datetime.UTC))
    counts = branch_page.check_counts(HealthCheck.objects.filter(branch=tree.branch_a))
    actions = branch_page.BranchActions(counts, can_manage=True, can_review=False)
    assert counts == {} and not actions.submit


def _return(branch, secretary_a, orgdept, comment=COMMENT):
    health_checks_submit(branch=branch, period=P, by=secretary_a)
    health_checks_return(branch=branch, period=P, by=orgdept, comment=comment)


def test_a_returned_branch_shows_the_comment_in_a_banner_and_offers_submit_again(
    login_as, computed, secretary_a, orgdept
):
    _return(computed[0].branch, secretary_a, orgdept)
    body = page(login_as, "secretary_a")
    banner = body[body.index('class="banner banner-returned"') :]
    banner = banner[: banner.index("</div>")]
    assert "本期有 5 份体检结果被组织部退回" in banner and COMMENT in banner
    assert "请按意见核实、调整后重新提交审核。" in banner
    assert action_urls(body) == {"compute", "submit"}


def test_no_banner_before_a_return(login_as, computed):
    assert "banner-returned" not in page(login_as, "secretary_a")


def test_a_return_of_many_checks_is_one_line_of_history(login_as, computed, secretary_a, orgdept):
    _return(computed[0].branch, secretary_a, orgdept)
    assert HealthCheckEvent.objects.filter(kind="returned").count() == 5
    lines = branch_page.history_of_branch(branch=computed[0].branch, period=P)
    assert [(line.kind, line.count) for line in lines] == [("returned", 5), ("submitted", 5), ("computed", 5)]
    assert lines[0].summary == "退回 5 份" and lines[0].comment == COMMENT
    body = page(login_as, "secretary_a")
    assert f"退回 5 份：{COMMENT}" in body
    assert body.count(COMMENT) == 2  # the banner and the one line, not five


def test_steps_of_one_kind_apart_in_time_or_by_comment_stay_apart(tree, computed, secretary_a, orgdept):
    branch = computed[0].branch
    _return(branch, secretary_a, orgdept, comment="第一次")
    _return(branch, secretary_a, orgdept, comment="第二次")
    check = computed[0]
    health_check_adjust(check=check, adjustment="2", reason="补登", by=secretary_a)
    health_check_adjust(check=computed[1], adjustment="1", reason="补登", by=secretary_a)
    lines = branch_page.history_of_branch(branch=branch, period=P)
    assert [(line.kind, line.count, line.comment) for line in lines[:6]] == [
        ("adjusted", 1, "补登"),
        ("adjusted", 1, "补登"),
        ("returned", 5, "第二次"),
        ("submitted", 5, ""),
        ("returned", 5, "第一次"),
        ("submitted", 5, ""),
    ]
    assert lines[0].member_name and lines[0].detail.startswith("调整")
    # The same step a minute later (a second recomputation, say) is a line of its own.
    HealthCheckEvent.objects.filter(kind="computed").update(at=lines[-1].at - datetime.timedelta(minutes=1))
    first = HealthCheckEvent.objects.filter(kind="computed").order_by("pk").first()
    HealthCheckEvent.objects.filter(pk=first.pk).update(at=first.at - datetime.timedelta(minutes=5))
    lines = branch_page.history_of_branch(branch=branch, period=P)
    assert [line.count for line in lines if line.kind == "computed"] == [4, 1]


def test_the_history_shows_at_most_the_latest_lines(tree, computed, secretary_a):
    for n in range(3):
        health_check_adjust(check=computed[0], adjustment=str(n), reason=f"理由{n}", by=secretary_a)
    lines = branch_page.history_of_branch(branch=tree.branch_a, period=P, shown=2)
    assert [line.comment for line in lines] == ["理由2", "理由1"]


def test_returned_checks_lists_the_managed_branches_with_the_comment(
    tree, computed, secretary_a, secretary_b, orgdept, django_assert_num_queries
):
    _return(computed[0].branch, secretary_a, orgdept)
    access.grants(secretary_a)  # read once per request
    with django_assert_num_queries(1):
        rows = returned_checks(secretary_a)
    assert [(r.branch_code, r.period, r.count, r.comment) for r in rows] == [("BA", P, 5, COMMENT)]
    assert rows[0].returned_at is not None
    assert returned_checks(secretary_b) == []


def test_returned_checks_leaves_out_resubmitted_ones(tree, computed, secretary_a, orgdept):
    _return(computed[0].branch, secretary_a, orgdept)
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    assert returned_checks(secretary_a) == []


def test_the_returned_page_runs_the_same_queries_for_5_or_25_members(login_as, tree, secretary_a, orgdept):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (5, 25):
        for _ in range(n):
            MemberFactory(branch=tree.branch_a)
        health_checks_compute(period=P, branch=tree.branch_a)
        _return(tree.branch_a, secretary_a, orgdept)
        client = login_as("secretary_a")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _adjust_urls(body: str) -> list[str]:
    return re.findall(r"/health/checks/\d+/adjust/", body)


def test_the_checks_are_shown_a_page_at_a_time_and_the_actions_count_them_all(
    login_as, computed, secretary_a, orgdept, monkeypatch
):
    monkeypatch.setattr(branch_page, "CHECKS_PAGE_SIZE", 2)
    _return(computed[0].branch, secretary_a, orgdept)
    first, last = page(login_as, "secretary_a"), login_as("secretary_a").get(URL + "&page=3").content.decode()
    assert len(_adjust_urls(first)) == 2 and len(_adjust_urls(last)) == 1
    assert "共 5 人" in first and "共 5 人" in last  # the whole branch, not the page
    assert "本期有 5 份体检结果被组织部退回" in last and action_urls(last) == {"compute", "submit"}
    assert f'href="?period={P}&amp;page=2"' in first and "page=0" not in first
    assert f'href="?period={P}&amp;page=2"' in last and "page=4" not in last
    shown = [_adjust_urls(login_as("secretary_a").get(f"{URL}&page={n}").content.decode()) for n in (1, 2, 3)]
    assert sorted(url for urls in shown for url in urls) == sorted(f"/health/checks/{c.pk}/adjust/" for c in computed)


def test_a_page_past_the_last_shows_no_check_and_a_bad_page_is_refused(login_as, computed):
    client = login_as("secretary_a")
    past = client.get(URL + "&page=9").content.decode()
    assert _adjust_urls(past) == [] and "没有。" in past and "本期尚未计算" not in past
    assert client.get(URL + "&page=abc").status_code == 400


def test_an_adjustment_brings_the_secretary_back_to_the_page_they_were_on(login_as, computed, monkeypatch):
    monkeypatch.setattr(branch_page, "CHECKS_PAGE_SIZE", 2)
    client = login_as("secretary_a")
    body = client.get(URL + "&page=2").content.decode()
    check_url = _adjust_urls(body)[0]
    assert f'name="next" value="{URL}&amp;page=2"' in body
    response = client.post(check_url, {"adjustment": "1", "reason": "补登", "next": URL + "&page=2"})
    assert response.status_code == 302 and response["Location"] == URL + "&page=2"


def test_the_branch_page_runs_the_same_queries_for_one_page_or_three(login_as, tree, secretary_a, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(branch_page, "CHECKS_PAGE_SIZE", 5)
    counts = []
    for n in (3, 12):
        for _ in range(n):
            MemberFactory(branch=tree.branch_a)
        health_checks_compute(period=P, branch=tree.branch_a)
        client = login_as("secretary_a")
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(URL).content.decode()
        counts.append(len(ctx.captured_queries))
    assert len(_adjust_urls(body)) == 5 and counts[0] == counts[1]


def test_returned_checks_is_a_row_per_branch_and_period_the_latest_return_first(
    tree, computed, secretary_a, orgdept, member_b, django_assert_num_queries
):
    # Three groups: branch_a's 2025 (5 checks) and 2024 (5), branch_b's 2025 (its one member), each
    # returned with its own comment; the orgdept manages both branches.
    _return(tree.branch_a, secretary_a, orgdept, comment="二〇二五年")
    for _ in range(3):  # resubmitted and returned again: its latest comment counts
        _return(tree.branch_a, secretary_a, orgdept, comment="再次退回")
    health_checks_compute(period="2024", branch=tree.branch_a)
    health_checks_submit(branch=tree.branch_a, period="2024", by=secretary_a)
    health_checks_return(branch=tree.branch_a, period="2024", by=orgdept, comment="二〇二四年")
    health_checks_compute(period=P, branch=tree.branch_b)
    health_checks_submit(branch=tree.branch_b, period=P, by=orgdept)
    health_checks_return(branch=tree.branch_b, period=P, by=orgdept, comment="西村")
    access.grants(orgdept)
    with django_assert_num_queries(1) as captured:
        rows = returned_checks(orgdept)
    assert [(r.branch_code, r.period, r.count, r.comment) for r in rows] == [
        ("BB", P, 1, "西村"),
        ("BA", "2024", 5, "二〇二四年"),
        ("BA", P, 5, "再次退回"),
    ]
    # A row per group, not a GROUP BY: grouped, the comment's subqueries ran for every check of the group.
    sql = captured.captured_queries[-1]["sql"]
    assert "GROUP BY" not in sql[sql.rindex("WHERE") :]  # the last WHERE: the outer query's or its EXISTS's
    assert [len(returned_checks(orgdept, limit=n)) for n in (1, 2)] == [2, 3]


def test_the_history_names_who_did_each_step_and_the_system_for_a_computation(login_as, computed, secretary_a):
    secretary_a.first_name, secretary_a.last_name = "永福", "李"
    secretary_a.save()
    health_check_adjust(check=computed[0], adjustment="1", reason="补登", by=secretary_a)
    lines = branch_page.history_of_branch(branch=computed[0].branch, period=P)
    assert [(line.kind, line.by.get_full_name() if line.by else None) for line in lines] == [
        ("adjusted", "永福 李"),
        ("computed", None),
    ]
    history = page(login_as, "secretary_a").split('id="events-title"')[1]
    assert "永福 李" in history and "系统" in history and lines[0].member_name in history


def test_without_a_period_the_pages_open_on_the_year_the_reports_show(login_as, tree, member_a):
    """Last year until a check of this year exists in the branch's subtree, then this year (the rule of
    health.selectors.yearly_checks_period, the same as the reports' and the first page's)."""
    this_year = timezone.localdate().year
    secretary, orgdept = login_as("secretary_a"), login_as("orgdept")
    branch_url, review_url = reverse("health:branch", args=["BA"]), reverse("health:review", args=["TOWN"])
    assert secretary.get(branch_url).context["period"].label == str(this_year - 1)
    assert orgdept.get(review_url).context["period"].label == str(this_year - 1)
    health_checks_compute(period=str(this_year), branch=tree.branch_a)
    assert secretary.get(branch_url).context["period"].label == str(this_year)
    assert orgdept.get(review_url).context["period"].label == str(this_year)
    assert secretary.get(f"{branch_url}?period={this_year - 3}").context["period"].label == str(this_year - 3)
