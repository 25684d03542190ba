"""Pages of the health checks: who may see and do what, and constant query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from health.models import HealthCheck
from health.services import health_checks_approve, health_checks_compute, health_checks_publish, health_checks_submit
from tests.factories import MemberFactory

P = "2025"


@pytest.fixture
def computed(tree, member_a, member_b):
    health_checks_compute(period=P, branch=tree.town)
    return HealthCheck.objects.get(member=member_a)


def get(login_as, persona, url):
    return login_as(persona).get(url)


def post(login_as, persona, url, data=None):
    return login_as(persona).post(url, {"period": P, **(data or {})})


def assert_login_redirect(response):
    assert response.status_code == 302 and reverse("login") in response["Location"]


BRANCH_PAGE = [
    ("anonymous", "login"),
    ("member_a", 404),
    ("secretary_b", 404),
    ("other_orgdept", 404),
    ("viewer", 403),
    ("secretary_a", 200),
    ("orgdept", 200),
    ("reviewer", 200),
]


@pytest.mark.parametrize("persona, expected", BRANCH_PAGE)
def test_branch_page_permissions(login_as, computed, persona, expected):
    response = get(login_as, persona, reverse("health:branch", args=["BA"]) + f"?period={P}")
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    if expected == 200:
        assert "李明" in response.content.decode()


def test_branch_page_shows_the_breakdown_and_the_adjust_form_to_the_secretary(login_as, computed):
    body = get(login_as, "secretary_a", reverse("health:branch", args=["BA"]) + f"?period={P}").content.decode()
    assert "三会一课" in body and "无应参加活动" in body and "80.00" in body
    assert reverse("health:adjust", args=[computed.pk]) in body
    assert reverse("health:approve", args=["BA"]) not in body


def test_branch_page_shows_review_buttons_to_the_department_only(login_as, computed, secretary_a):
    health_checks_submit(branch=computed.branch, period=P, by=secretary_a)
    body = get(login_as, "reviewer", reverse("health:branch", args=["BA"]) + f"?period={P}").content.decode()
    assert reverse("health:approve", args=["BA"]) in body
    assert reverse("health:adjust", args=[computed.pk]) not in body


REVIEW_PAGE = [
    ("anonymous", "login"),
    ("member_a", 404),
    ("secretary_a", 404),
    ("other_orgdept", 404),
    ("viewer", 403),
    ("orgdept", 200),
    ("reviewer", 200),
]


@pytest.mark.parametrize("persona, expected", REVIEW_PAGE)
def test_review_page_permissions(login_as, computed, persona, expected):
    response = get(login_as, persona, reverse("health:review", args=["TOWN"]) + f"?period={P}")
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert "东村第一网格党支部" in body and "西村第一网格党支部" in body


@pytest.mark.parametrize(
    "persona, expected",
    [("anonymous", "login"), ("secretary_b", 404), ("reviewer", 403), ("viewer", 403), ("secretary_a", 302)],
)
def test_adjust_permissions(login_as, computed, persona, expected):
    response = post(
        login_as, persona, reverse("health:adjust", args=[computed.pk]), {"adjustment": "3", "reason": "补登"}
    )
    computed.refresh_from_db()
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    assert computed.adjustment == (Decimal(3) if expected == 302 else 0)


def test_adjust_refusal_is_shown_as_a_message(login_as, computed):
    client = login_as("secretary_a")
    response = client.post(
        reverse("health:adjust", args=[computed.pk]), {"adjustment": "8", "reason": "补登"}, follow=True
    )
    assert "调整分值不能超过±5分" in response.content.decode()
    computed.refresh_from_db()
    assert computed.adjustment == 0


@pytest.mark.parametrize(
    "persona, expected", [("anonymous", "login"), ("secretary_b", 404), ("reviewer", 403), ("secretary_a", 302)]
)
def test_submit_permissions(login_as, computed, persona, expected):
    response = post(login_as, persona, reverse("health:submit", args=["BA"]))
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    computed.refresh_from_db()
    assert computed.status == ("submitted" if expected == 302 else "draft")


@pytest.mark.parametrize("action", ["approve", "return", "publish"])
@pytest.mark.parametrize(
    "persona, expected",
    [("anonymous", "login"), ("other_orgdept", 404), ("secretary_a", 403), ("viewer", 403)],
)
def test_review_actions_are_refused_to_others(login_as, computed, secretary_a, action, persona, expected):
    health_checks_submit(branch=computed.branch, period=P, by=secretary_a)
    response = post(login_as, persona, reverse(f"health:{action}", args=["BA"]), {"comment": "意见"})
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    computed.refresh_from_db()
    assert computed.status == "submitted"


def test_department_approves_then_publishes_from_the_review_page(login_as, computed, secretary_a):
    health_checks_submit(branch=computed.branch, period=P, by=secretary_a)
    client = login_as("orgdept")
    back = reverse("health:review", args=["TOWN"]) + f"?period={P}"
    response = client.post(reverse("health:approve", args=["BA"]), {"period": P, "comment": "同意", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    client.post(reverse("health:publish", args=["BA"]), {"period": P})
    computed.refresh_from_db()
    assert computed.status == "published"
    assert list(computed.events.values_list("kind", "comment")) == [
        ("computed", ""),
        ("submitted", ""),
        ("approved", "同意"),
        ("published", ""),
    ]


def test_returning_without_a_comment_is_refused_with_a_message(login_as, computed, secretary_a):
    health_checks_submit(branch=computed.branch, period=P, by=secretary_a)
    response = login_as("orgdept").post(reverse("health:return", args=["BA"]), {"period": P}, follow=True)
    assert "退回须填写意见" in response.content.decode()
    computed.refresh_from_db()
    assert computed.status == "submitted"


def test_an_offsite_next_is_ignored(login_as, computed, secretary_a):
    health_checks_submit(branch=computed.branch, period=P, by=secretary_a)
    response = login_as("orgdept").post(
        reverse("health:approve", args=["BA"]), {"period": P, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("health:branch", args=["BA"]) + f"?period={P}"


@pytest.mark.parametrize(
    "persona, expected", [("anonymous", "login"), ("secretary_b", 404), ("viewer", 403), ("secretary_a", 302)]
)
def test_compute_button_permissions(login_as, tree, member_a, persona, expected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(login_as, persona, reverse("health:compute", args=["BA"]))
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected
    assert HealthCheck.objects.filter(member=member_a).exists() is (expected == 302)


def test_actions_refuse_get(login_as, computed):
    assert login_as("secretary_a").get(reverse("health:submit", args=["BA"])).status_code == 405


def test_member_sees_only_their_published_checks(login_as, tree, computed, member_a, secretary_a, orgdept):
    health_checks_compute(period="2025Q4", branch=tree.branch_a)
    body = get(login_as, "member_a", reverse("health:me")).content.decode()
    assert "暂无已公示的体检结果" in body
    health_checks_submit(branch=tree.branch_a, period=P, by=secretary_a)
    health_checks_approve(branch=tree.branch_a, period=P, by=orgdept)
    health_checks_publish(branch=tree.branch_a, period=P, by=orgdept)
    body = get(login_as, "member_a", reverse("health:me")).content.decode()
    assert "2025" in body and "80.00" in body and "2025Q4" not in body


@pytest.mark.parametrize("persona, expected", [("anonymous", "login"), ("outsider", 404), ("member_a", 200)])
def test_me_page_permissions(login_as, member_a, persona, expected):
    response = get(login_as, persona, reverse("health:me"))
    if expected == "login":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(
    "persona, link", [("member_a", "health:me"), ("orgdept", "health:review"), ("secretary_a", "health:review")]
)
def test_index_links_each_user_to_their_pages(login_as, tree, member_a, persona, link):
    body = get(login_as, persona, reverse("health:index")).content.decode()
    target = reverse(link) if link == "health:me" else reverse(link, args=["TOWN" if persona == "orgdept" else "BA"])
    assert target in body


def test_index_needs_login(db, login_as):
    assert_login_redirect(get(login_as, "anonymous", reverse("health:index")))


def _page_queries(login_as, tree, n: int, url: str, persona: str) -> int:
    for i in range(n):
        MemberFactory(branch=tree.branch_a if i % 2 else tree.branch_b)
    health_checks_compute(period=P, branch=tree.town)
    client = login_as(persona)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    HealthCheck.objects.all().delete()
    from members.models import Member

    Member.objects.exclude(user__isnull=False).delete()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url, persona",
    [(f"/health/branches/BA/?period={P}", "secretary_a"), (f"/health/branches/TOWN/overview/?period={P}", "orgdept")],
)
def test_pages_run_the_same_queries_for_3_or_30_members(login_as, tree, url, persona):
    assert _page_queries(login_as, tree, 3, url, persona) == _page_queries(login_as, tree, 30, url, persona)
