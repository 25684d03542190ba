"""The default rubric's arithmetic on hand-built members (no database)."""

from decimal import Decimal

import pytest

from health.rubric import (
    MemberFacts,
    Tally,
    default_rubric,
    finalize,
    score,
    validate,
)

D = Decimal
RUBRIC = default_rubric()


def perfect(**changes) -> MemberFacts:
    """A member who attended everything, paid every month and served 24 hours in a year."""
    facts = MemberFacts(
        attendance={
            "branch_assembly": Tally(expected=4, present=4),
            "group_meeting": Tally(expected=12, present=12),
            "party_lecture": Tally(expected=4, present=4),
            "theme_day": Tally(expected=12, present=12),
        },
        dues_months_due=12,
        dues_months_paid=12,
        volunteer_hours=D(24),
    )
    for key, value in changes.items():
        setattr(facts, key, value)
    return facts


def items(result):
    return {i.key: (i.score, i.found) for i in result.items}


def test_a_member_who_did_everything_scores_100_and_is_excellent():
    result = score(RUBRIC, perfect())
    assert [(i.key, i.points) for i in result.items] == [
        ("meetings", D(40)),
        ("theme_day", D(20)),
        ("dues", D(20)),
        ("volunteer", D(20)),
    ]
    assert (result.total, result.grade, result.vetoed) == (D("100.00"), "excellent", False)


def test_meetings_rate_is_present_over_expected_across_the_four_kinds():
    facts = perfect()
    facts.attendance["group_meeting"] = Tally(expected=12, present=11)
    facts.attendance["committee_meeting"] = Tally(expected=12, present=9)
    # 4 + 11 + 4 + 9 present of 4 + 12 + 4 + 12 expected: 40 × 28/32 = 35
    assert items(score(RUBRIC, facts))["meetings"] == (D("35.00"), "28/32")


def test_item_points_are_rounded_half_up_to_two_decimals():
    facts = perfect(attendance={"group_meeting": Tally(expected=12, present=11), "theme_day": Tally(12, 12)})
    got = score(RUBRIC, facts)
    assert items(got)["meetings"] == (D("36.67"), "11/12")  # 40 × 11/12 = 36.666…
    assert got.total == D("96.67")


def test_approved_leave_is_taken_out_of_the_expected_count():
    facts = perfect(attendance={"branch_assembly": Tally(expected=4, present=3, leave=1), "theme_day": Tally(12, 8, 2)})
    result = items(score(RUBRIC, facts))
    assert result["meetings"] == (D("40.00"), "3/3")
    assert result["theme_day"] == (D("16.00"), "8/10")


def test_an_item_with_nothing_expected_scores_full_points():
    facts = perfect(attendance={}, dues_months_due=0, dues_months_paid=0, volunteer_hours=D(0), months_on_roster=0)
    result = score(RUBRIC, facts)
    assert items(result)["meetings"] == (D("40.00"), "无应参加活动")
    assert items(result)["dues"][0] == D("20.00")
    assert items(result)["volunteer"][0] == D("20.00")
    assert result.total == D("100.00")


def test_everyone_on_leave_counts_as_nothing_expected():
    facts = perfect(attendance={"theme_day": Tally(expected=2, present=0, leave=2)})
    assert items(score(RUBRIC, facts))["theme_day"][0] == D("20.00")


def test_dues_rate_is_months_paid_in_full_over_months_due():
    facts = perfect(dues_months_due=12, dues_months_paid=9)
    assert items(score(RUBRIC, facts))["dues"] == (D("15.00"), "按月足额缴纳 9/12 个月")


@pytest.mark.parametrize("hours, points", [(0, "0.00"), (12, "10.00"), (18.5, "15.42"), (24, "20.00"), (60, "20.00")])
def test_volunteer_hours_score_up_to_24_a_year(hours, points):
    assert items(score(RUBRIC, perfect(volunteer_hours=D(str(hours)))))["volunteer"][0] == D(points)


def test_volunteer_target_is_six_hours_in_a_quarter():
    facts = perfect(months_on_roster=3, period_months=3, volunteer_hours=D(3))
    assert items(score(RUBRIC, facts))["volunteer"] == (D("10.00"), "3/6 小时")


def test_a_member_who_joined_mid_year_owes_hours_only_for_their_months():
    facts = perfect(months_on_roster=6, volunteer_hours=D(12))
    assert items(score(RUBRIC, facts))["volunteer"] == (D("20.00"), "12/12 小时")


def test_commendations_add_by_level():
    result = score(RUBRIC, perfect(volunteer_hours=D(0), commendations={"branch": 1, "town": 1}))
    assert (result.bonus, result.total) == (D("4.00"), D("84.00"))


def test_commendations_add_at_most_ten():
    result = score(RUBRIC, perfect(volunteer_hours=D(0), commendations={"county": 3}))
    assert (result.bonus, result.total) == (D("10.00"), D("90.00"))


def test_criticism_and_admonition_deduct_five_each():
    result = score(RUBRIC, perfect(sanctions={"criticism": 1, "admonition": 2}))
    assert (result.deduction, result.total, result.grade) == (D("15.00"), D("85.00"), "qualified")


def test_party_discipline_vetoes_caps_at_59_and_fails():
    result = score(RUBRIC, perfect(sanctions={"warning": 1}))
    assert (result.vetoed, result.subtotal, result.total, result.grade) == (
        True,
        D("100.00"),
        D("59.00"),
        "unqualified",
    )


def test_a_veto_keeps_a_lower_score_as_it_is():
    facts = perfect(attendance={"theme_day": Tally(1, 1)}, dues_months_paid=0, volunteer_hours=D(0))
    facts.attendance["group_meeting"] = Tally(expected=12, present=0)
    assert score(RUBRIC, facts).total == D("20.00")
    facts.sanctions = {"probation": 1}
    vetoed = score(RUBRIC, facts)
    assert (vetoed.total, vetoed.grade) == (D("20.00"), "unqualified")


def test_a_member_without_any_commendation_can_be_vetoed_even_with_an_adjustment():
    result = score(RUBRIC, perfect(sanctions={"removal": 1}), adjustment=D(5))
    assert (result.total, result.grade) == (D("59.00"), "unqualified")


@pytest.mark.parametrize(
    "subtotal, grade",
    [
        ("90", "excellent"),
        ("89.99", "qualified"),
        ("75", "qualified"),
        ("74.99", "basic"),
        ("60", "basic"),
        ("59.99", "unqualified"),
        ("0", "unqualified"),
    ],
)
def test_grade_thresholds(subtotal, grade):
    assert finalize(RUBRIC, subtotal=D(subtotal), adjustment=D(0), vetoed=False) == (
        D(subtotal).quantize(D("0.01")),
        grade,
    )


def test_total_is_clamped_to_0_and_100():
    assert score(RUBRIC, perfect(commendations={"county": 2})).total == D("100.00")
    assert finalize(RUBRIC, subtotal=D("98"), adjustment=D("5"), vetoed=False)[0] == D("100.00")
    poor = perfect(attendance={"theme_day": Tally(12, 0), "party_lecture": Tally(4, 0)})
    poor.dues_months_paid, poor.volunteer_hours, poor.sanctions = 0, D(0), {"admonition": 3}
    result = score(RUBRIC, poor)
    assert (result.subtotal, result.total, result.grade) == (D("-15.00"), D("0.00"), "unqualified")


def test_adjustment_moves_the_total_and_grade():
    result = score(RUBRIC, perfect(volunteer_hours=D(9)), adjustment=D("-3.5"))
    # 80 + 20 × 9/24 = 87.5, then −3.5
    assert (result.subtotal, result.adjustment, result.total, result.grade) == (
        D("87.50"),
        D("-3.50"),
        D("84.00"),
        "qualified",
    )


def test_scores_keep_two_decimals():
    result = score(RUBRIC, perfect(volunteer_hours=D(7)))
    assert all(i.score.as_tuple().exponent == -2 for i in result.items)
    assert result.total.as_tuple().exponent == -2


def test_the_default_rubric_is_valid_and_a_broken_one_is_not():
    assert validate(default_rubric()) == []
    broken = default_rubric()
    broken["items"][0]["points"] = "50"
    broken["items"][1]["source"] = "weather"
    broken["grades"] = [g for g in broken["grades"] if g["min"] != "0"]
    problems = validate(broken)
    assert "各评分项目分值之和应为 100 分" in problems
    assert any("数据来源未知" in p for p in problems) and any("0 分" in p for p in problems)
