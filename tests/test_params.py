"""Crafted parameters answer 400 (or a form error), never a 500: branches/params.py and its users."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import BadRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity
from branches import params
from core.periods import QUARTER, YEAR, Period

NINES = "9" * 25
CRAFTED = [
    NINES,
    "-1",
    "0",
    "abc",
    "0000-01",
    "9999-12",
    "2026-13",
    "0000",
    "9999",
    "9999Q4",
    "0000Q1",
    "1e400",
    "x" * 100,
]

# (URL name, its arguments, the parameter parsed by hand)
PAGES = [
    ("members:list", [], "page"),
    ("members:dues_branch", ["BA"], "page"),
    ("members:dues_branch", ["BA"], "month"),
    ("members:dues_arrears", ["TOWN"], "page"),
    ("members:dues_arrears", ["TOWN"], "start"),
    ("members:dues_arrears", ["TOWN"], "end"),
    ("activities:list", [], "page"),
    ("activities:list", [], "month"),
    ("activities:compliance", [], "page"),
    ("activities:compliance", [], "year"),
    ("activities:compliance", [], "index"),
    ("reports:dashboard", ["TOWN"], "period"),
    ("health:branch", ["BA"], "period"),
    ("health:review", ["TOWN"], "period"),
    ("health:rubric", ["BA"], "year"),
    ("health:rubric_edit", ["TOWN"], "year"),
    ("branches:tree", [], "depth"),
]


@pytest.mark.parametrize("value", CRAFTED)
@pytest.mark.parametrize(("name", "args", "param"), PAGES)
def test_a_crafted_query_parameter_never_gives_a_server_error(login_as, tree, member_a, name, args, param, value):
    response = login_as("orgdept").get(reverse(name, args=args), {param: value})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    ("name", "args", "query"),
    [
        ("members:list", [], {"page": NINES}),
        ("activities:list", [], {"page": NINES}),
        ("activities:list", [], {"month": "0000-01"}),
        ("activities:list", [], {"month": "9999-12"}),
        ("members:dues_branch", ["BA"], {"month": "0000-01"}),
        ("members:dues_branch", ["BA"], {"page": "abc"}),
        ("reports:dashboard", ["TOWN"], {"period": "0000-01"}),
        ("reports:dashboard", ["TOWN"], {"period": "9999"}),
        ("health:branch", ["BA"], {"period": "0000"}),
        ("health:rubric", ["BA"], {"year": NINES}),
        ("branches:tree", [], {"depth": NINES}),
    ],
)
def test_the_values_that_gave_500_answer_400_with_the_sites_page(login_as, tree, name, args, query):
    response = login_as("orgdept").get(reverse(name, args=args), query)
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()


@pytest.mark.parametrize(
    ("year", "month"), [(0, 1), (9999, 12), (2026, 13), (2026, 0), (99999999999, 1), (2026, int(NINES))]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_absurd_month_in_the_dues_url_answers_400(login_as, member_a, year, month, method):
    url = f"/members/{member_a.pk}/dues/{year}/{month}/"
    response = getattr(login_as("secretary_a"), method)(url, {"paid": "1", "paid_on": "2026-01-01"})
    assert response.status_code == 400


def test_a_dues_url_outside_the_scope_still_answers_404_before_the_month(login_as, member_c):
    assert login_as("secretary_a").get(f"/members/{member_c.pk}/dues/0/1/").status_code == 404


@pytest.fixture
def volunteering(tree, orgdept):
    start = timezone.now() - datetime.timedelta(hours=3)
    return activity_services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.VOLUNTEER,
        title="志愿服务",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=orgdept,
    )


def test_hours_for_an_absurd_member_id_answer_400(login_as, volunteering):
    response = login_as("orgdept").post(reverse("activities:hours", args=[volunteering.pk]), {f"hours-{NINES}": "1"})
    assert response.status_code == 400


def test_absurd_votes_are_a_message_not_a_500(login_as, volunteering):
    data = {"text": "决议", "votes_for": NINES, "votes_against": "1", "votes_abstain": "1"}
    response = login_as("orgdept").post(reverse("activities:resolution_add", args=[volunteering.pk]), data)
    assert response.status_code == 400 and "票数过大" in response.content.decode()
    assert not volunteering.resolutions.exists()


# The helpers themselves ---------------------------------------------------------------------


def _get(**query):
    return RequestFactory().get("/", query)


def test_page_number_is_one_when_absent_and_bounded_otherwise():
    assert params.page_number(_get()) == 1
    assert params.page_number(_get(page="3")) == 3
    for value in ("0", "-1", "x", NINES, str(params.MAX_PAGE + 1)):
        with pytest.raises(BadRequest):
            params.page_number(_get(page=value))


def test_month_param_reads_a_month_within_the_years_allowed():
    assert params.month_param(_get()) is None
    assert params.month_param(_get(month="2026-3")) == datetime.date(2026, 3, 1)
    for value in ("0000-01", "9999-12", "2026-13", "2026-00", "2026", "202603"):
        with pytest.raises(BadRequest):
            params.month_param(_get(month=value))


def test_period_param_reads_a_period_within_the_years_allowed():
    assert params.period_param(_get()) is None
    assert params.period_param(_get(period="2026Q3")) == Period.parse("2026Q3")
    assert params.period_param(_get(period="2026-3")) == Period.parse("2026-03")
    for value in ("0000", "9999-12", "1999", "2101Q1", "2026Q5", "Q3", "2026-13"):
        with pytest.raises(BadRequest):
            params.period_param(_get(period=value))


def test_period_param_with_a_narrower_parser_refuses_the_other_kinds():
    def parse(text):
        return Period.parse(text, kinds=[YEAR, QUARTER])

    assert params.period_param(_get(period="2026"), parse) == Period.parse("2026")
    with pytest.raises(BadRequest):
        params.period_param(_get(period="2026-10"), parse)


def test_a_posted_value_wins_over_the_query_string_unless_the_query_is_named():
    request = RequestFactory().post("/?year=2030", {"year": "2031"})
    assert params.int_param(request, "year", default=0, low=2000, high=2100) == 2031
    assert params.int_param(request, "year", default=0, low=2000, high=2100, query=request.GET) == 2030


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "1999", "2101Q1"])
def test_a_job_for_an_absurd_period_is_refused_with_a_message(login_as, tree, period):
    from reports.models import Job

    client = login_as("orgdept")
    response = client.post(reverse("reports:job_start", kwargs={"code": "TOWN"}), {"kind": "reports", "period": period})
    assert response.status_code == 302 and not Job.objects.exists()
    assert "年份应在2000至2100年之间" in client.get(response.url).content.decode()


@pytest.mark.parametrize("period", ["0000", "9999", "9999Q4"])
def test_a_health_computation_for_an_absurd_period_answers_400(login_as, tree, period):
    response = login_as("orgdept").post(reverse("health:compute", args=["BA"]), {"period": period})
    assert response.status_code == 400
