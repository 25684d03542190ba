"""Property-based tests (hypothesis) of the health-check arithmetic in ``health/rubric.py``.

The scoring is pure: a rubric (a dict) and one member's facts in, a breakdown out. Hypothesis
draws facts across the whole range a period can produce (attendance at every kind, dues,
volunteer hours, commendations, sanctions, the secretary's adjustment) and checks the rules
the rubric promises whatever the numbers: the total stays within [0, 100], attending one more
meeting never lowers it, and a vetoing sanction caps it at 59 with the grade 不合格.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from health import rubric as rules

RUBRIC = rules.default_rubric()
ATTENDANCE_KINDS = rules.MEETING_KINDS + rules.THEME_DAY_KINDS
VETO_KINDS = RUBRIC["veto_kinds"]
OTHER_SANCTIONS = list(RUBRIC["deduction_points"])
LEVELS = list(RUBRIC["commendation_points"])


@st.composite
def tallies(draw) -> rules.Tally:
    """Expected, present and on leave, as a period can produce them: present + leave ≤ expected."""
    expected = draw(st.integers(min_value=0, max_value=60))
    leave = draw(st.integers(min_value=0, max_value=expected))
    present = draw(st.integers(min_value=0, max_value=expected - leave))
    return rules.Tally(expected=expected, present=present, leave=leave)


@st.composite
def member_facts(draw, sanction_kinds=OTHER_SANCTIONS + VETO_KINDS) -> rules.MemberFacts:
    period_months = draw(st.sampled_from([3, 12]))
    due = draw(st.integers(min_value=0, max_value=period_months))
    return rules.MemberFacts(
        attendance=draw(st.dictionaries(st.sampled_from(ATTENDANCE_KINDS), tallies())),
        dues_months_due=due,
        dues_months_paid=draw(st.integers(min_value=0, max_value=due)),
        volunteer_hours=draw(st.decimals(min_value=0, max_value=500, places=1)),
        months_on_roster=draw(st.integers(min_value=0, max_value=period_months)),
        period_months=period_months,
        commendations=draw(st.dictionaries(st.sampled_from(LEVELS), st.integers(min_value=0, max_value=6))),
        sanctions=draw(st.dictionaries(st.sampled_from(sanction_kinds), st.integers(min_value=0, max_value=4))),
    )


ADJUSTMENTS = st.decimals(min_value=-5, max_value=5, places=2)


@settings(max_examples=100, deadline=None)
@given(facts=member_facts(), adjustment=ADJUSTMENTS)
def test_total_is_always_between_0_and_100(facts, adjustment):
    result = rules.score(RUBRIC, facts, adjustment)
    assert Decimal(0) <= result.total <= Decimal(100)
    assert result.total == result.total.quantize(Decimal("0.01"))
    assert sum((item.score for item in result.items), Decimal(0)) <= Decimal(100)


@settings(max_examples=100, deadline=None)
@given(facts=member_facts(), adjustment=ADJUSTMENTS, kind=st.sampled_from(ATTENDANCE_KINDS))
def test_attending_one_more_meeting_never_lowers_the_total(facts, adjustment, kind):
    tally = facts.attendance.get(kind, rules.Tally())
    # One more meeting attended: an absence turns into presence, or a new meeting is held and attended.
    if tally.present + tally.leave < tally.expected:
        more = dataclasses.replace(tally, present=tally.present + 1)
    else:
        more = dataclasses.replace(tally, expected=tally.expected + 1, present=tally.present + 1)
    better = dataclasses.replace(facts, attendance={**facts.attendance, kind: more})
    before = rules.score(RUBRIC, facts, adjustment)
    after = rules.score(RUBRIC, better, adjustment)
    assert after.total >= before.total
    assert after.subtotal >= before.subtotal


@settings(max_examples=100, deadline=None)
@given(
    facts=member_facts(),
    adjustment=ADJUSTMENTS,
    veto=st.sampled_from(VETO_KINDS),
    count=st.integers(min_value=1, max_value=3),
)
def test_a_vetoing_sanction_caps_the_total_at_59_and_fails_the_check(facts, adjustment, veto, count):
    vetoed = dataclasses.replace(facts, sanctions={**facts.sanctions, veto: count})
    result = rules.score(RUBRIC, vetoed, adjustment)
    assert result.vetoed is True
    assert Decimal(0) <= result.total <= Decimal(59)
    assert result.grade == "unqualified"
    label = {g["grade"]: g["label"] for g in RUBRIC["grades"]}[result.grade]
    assert label == "不合格"
    # The cap only ever lowers: without the veto the same member scores at least as much.
    unvetoed = rules.score(RUBRIC, dataclasses.replace(facts, sanctions={}), adjustment)
    assert result.total <= unvetoed.total


@settings(max_examples=100, deadline=None)
@given(subtotal=st.decimals(min_value=-50, max_value=150, places=2), adjustment=ADJUSTMENTS)
def test_finalize_with_a_veto_caps_any_subtotal_at_59(subtotal, adjustment):
    total, grade = rules.finalize(RUBRIC, subtotal=subtotal, adjustment=adjustment, vetoed=True)
    assert Decimal(0) <= total <= Decimal(59)
    assert grade == "unqualified"
    free_total, _ = rules.finalize(RUBRIC, subtotal=subtotal, adjustment=adjustment, vetoed=False)
    assert total == min(free_total, Decimal(59))
