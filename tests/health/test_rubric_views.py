"""Rubric pages: the rubric in force for a branch and year, and the organization department's editing."""

import datetime

import pytest
from django.urls import reverse

from health.models import HealthCheck, Rubric
from health.rubric import default_rubric
from health.rubric_forms import RubricForm
from health.services import health_checks_compute, rubric_save
from members.records import commendation_record


def assert_refused(response, expected):
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected


def edit_data(year=2027, **changes) -> dict:
    """The edit form's fields for the default rubric, with ``changes``."""
    form = RubricForm(config=default_rubric(), initial={"year": year})
    data = {name: form[name].value() for name in form.fields}
    data["veto_kinds"] = list(data["veto_kinds"])
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("member_a", 404),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("secretary_a", 200),
        ("reviewer", 200),
    ],
)
def test_rubric_page_permissions(login_as, tree, persona, expected):
    response = login_as(persona).get(reverse("health:rubric", args=["BA"]) + "?year=2026")
    assert_refused(response, expected)
    if expected == 200:
        body = response.content.decode()
        assert "系统默认评分细则" in body and "三会一课" in body and "优秀 ≥90" in body


def test_rubric_page_says_which_rubric_is_in_force(login_as, tree, orgdept):
    config = default_rubric()
    config["commendation_points"]["county"] = "4"
    rubric_save(branch=tree.town, year=2026, config=config, name="城关镇细则", by=orgdept)
    body = login_as("secretary_a").get(reverse("health:rubric", args=["BA"]) + "?year=2027").content.decode()
    assert "上级组织“城关镇党委”的评分细则（2026 年起施行）" in body and "县级及以上 +4" in body
    body = login_as("secretary_a").get(reverse("health:rubric", args=["BA"]) + "?year=2025").content.decode()
    assert "系统默认评分细则" in body
    # only a reviewer gets the edit link
    assert reverse("health:rubric_edit", args=["BA"]) not in body
    body = login_as("reviewer").get(reverse("health:rubric", args=["BA"])).content.decode()
    assert reverse("health:rubric_edit", args=["BA"]) in body


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("secretary_a", 403),
        ("reviewer", 302),
        ("orgdept", 302),
    ],
)
def test_editing_a_rubric_needs_review(login_as, tree, persona, expected):
    data = edit_data(name="东村细则", commendation_town="4")
    response = login_as(persona).post(reverse("health:rubric_edit", args=["BA"]), data)
    assert_refused(response, expected)
    saved = Rubric.objects.filter(branch=tree.branch_a, year=2027).first()
    if expected == 302:
        assert saved.name == "东村细则" and saved.config["commendation_points"]["town"] == "4"
        assert saved.updated_by.username == persona
        assert response["Location"] == reverse("health:rubric", args=["BA"]) + "?year=2027"
    else:
        assert saved is None


@pytest.mark.parametrize("persona, expected", [("secretary_a", 403), ("reviewer", 200), ("other_orgdept", 404)])
def test_edit_form_page_permissions(login_as, tree, persona, expected):
    assert_refused(login_as(persona).get(reverse("health:rubric_edit", args=["BA"])), expected)


def test_every_part_of_the_rubric_is_saved(login_as, tree):
    data = edit_data(
        item_meetings_points="35",
        item_theme_day_points="25",
        item_volunteer_hours="12",
        item_volunteer_label="志愿服务（时长）",
        commendation_cap="8",
        deduction_criticism="3",
        deduction_cap="10",
        veto_kinds=["serious_warning", "expulsion"],
        veto_cap="50",
        veto_grade="basic",
        adjustment_limit="3",
        grade_excellent_min="92",
        grade_qualified_min="80",
        grade_basic_min="65",
    )
    login_as("orgdept").post(reverse("health:rubric_edit", args=["TOWN"]), data)
    config = Rubric.objects.get(branch=tree.town, year=2027).config
    items = {i["key"]: i for i in config["items"]}
    assert (items["meetings"]["points"], items["theme_day"]["points"]) == ("35", "25")
    assert items["meetings"]["kinds"] == default_rubric()["items"][0]["kinds"]  # kept as it was
    assert (items["volunteer"]["hours_per_year"], items["volunteer"]["label"]) == ("12", "志愿服务（时长）")
    assert (config["commendation_cap"], config["deduction_points"]["criticism"], config["deduction_cap"]) == (
        "8",
        "3",
        "10",
    )
    assert (config["veto_kinds"], config["veto_cap"], config["veto_grade"]) == (
        ["serious_warning", "expulsion"],
        "50",
        "basic",
    )
    assert config["adjustment_limit"] == "3"
    assert [g["min"] for g in config["grades"]] == ["92", "80", "65", "0"]


def test_editing_the_same_year_again_changes_that_rubric(login_as, tree):
    client = login_as("orgdept")
    client.post(reverse("health:rubric_edit", args=["TOWN"]), edit_data(adjustment_limit="4"))
    response = client.get(reverse("health:rubric_edit", args=["TOWN"]) + "?year=2027")
    assert response.context["form"]["adjustment_limit"].value() == "4"
    client.post(reverse("health:rubric_edit", args=["TOWN"]), edit_data(adjustment_limit="2"))
    assert [(r.year, r.config["adjustment_limit"]) for r in Rubric.objects.all()] == [(2027, "2")]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"item_meetings_points": "50"}, None, "各评分项目分值之和应为 100 分"),
        ({"item_meetings_points": "-5"}, "item_meetings_points", "确保该值大于或等于0。"),
        ({"grade_qualified_min": "95"}, "grade_excellent_min", "优秀的最低分应高于合格的最低分"),
        ({"grade_basic_min": "0"}, "grade_basic_min", "最低分应大于 0（0 分以上为最低一档）"),
        ({"veto_cap": "abc"}, "veto_cap", "输入一个数字。"),
        ({"item_volunteer_hours": "0"}, "item_volunteer_hours", "确保该值大于或等于0.5。"),
        ({"year": "1999"}, "year", "确保该值大于或等于2000。"),
    ],
)
def test_an_invalid_rubric_is_refused_with_a_chinese_reason_keeping_the_input(login_as, tree, changes, field, message):
    response = login_as("orgdept").post(reverse("health:rubric_edit", args=["TOWN"]), edit_data(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in errors[field or "__all__"]
    value = next(iter(changes.values()))
    assert f'value="{value}"' in response.content.decode()
    assert not Rubric.objects.exists()


@pytest.mark.parametrize("size", [1, 8])
def test_rubric_page_runs_a_constant_number_of_queries(login_as, tree, orgdept, django_assert_num_queries, size):
    for year in range(2010, 2010 + size):
        rubric_save(branch=tree.town, year=year, config=default_rubric(), by=orgdept)
    client = login_as("orgdept")
    # session, user, grants, branch, rubrics in force, the branch's own rubrics, and the rubric's
    # audit trail: its entries and the names they mention (branches/audit.py)
    with django_assert_num_queries(8):
        response = client.get(reverse("health:rubric", args=["TOWN"]) + "?year=2026")
    assert response.content.decode().count("?year=20") >= size


def test_a_rubric_saved_on_the_page_scores_the_next_computation(login_as, tree, member_a):
    login_as("orgdept").post(reverse("health:rubric_edit", args=["TOWN"]), edit_data(year=2025, commendation_town="4"))
    commendation_record(member=member_a, level="town", title="优秀共产党员", awarded_on=datetime.date(2025, 6, 1))
    health_checks_compute(period="2025", branch=tree.branch_a)
    check = HealthCheck.objects.get(member=member_a, period="2025")
    assert check.bonus == 4 and check.rubric.branch == tree.town
