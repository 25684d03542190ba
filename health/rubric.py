"""评分细则: the default rubric as data, and the pure arithmetic of a health check.

Nothing here touches the database: ``score`` takes a rubric (a plain dict, as stored in
``Rubric.config`` and snapshotted on every result) and one member's facts, and returns the
breakdown. This is the only copy of the rubric's arithmetic (rates, caps, veto, grades,
rounding); ``health.selectors.member_facts`` gathers the facts. Numbers are kept as strings
in the rubric so that JSON round-trips them exactly into ``Decimal``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

# Activity kinds (values of ``activities.models.Activity.Kind``), written out so this module stays pure.
MEETING_KINDS = ["branch_assembly", "committee_meeting", "group_meeting", "party_lecture"]
THEME_DAY_KINDS = ["theme_day"]

SOURCES = ("attendance", "dues", "volunteer")

DEFAULT_RUBRIC: dict = {
    "name": "默认评分细则",
    "items": [
        {"key": "meetings", "label": "三会一课", "points": "40", "source": "attendance", "kinds": MEETING_KINDS},
        {"key": "theme_day", "label": "主题党日", "points": "20", "source": "attendance", "kinds": THEME_DAY_KINDS},
        {"key": "dues", "label": "党费", "points": "20", "source": "dues"},
        {"key": "volunteer", "label": "志愿服务", "points": "20", "source": "volunteer", "hours_per_year": "24"},
    ],
    # Sanction.Kind and Commendation.Level values.
    "commendation_points": {"branch": "1", "town": "3", "county": "5"},
    "commendation_cap": "10",
    "deduction_points": {"criticism": "5", "admonition": "5"},
    "deduction_cap": None,
    "veto_kinds": ["warning", "serious_warning", "removal", "probation", "expulsion"],
    "veto_cap": "59",
    "veto_grade": "unqualified",
    "adjustment_limit": "5",
    "grades": [
        {"grade": "excellent", "label": "优秀", "min": "90"},
        {"grade": "qualified", "label": "合格", "min": "75"},
        {"grade": "basic", "label": "基本合格", "min": "60"},
        {"grade": "unqualified", "label": "不合格", "min": "0"},
    ],
}


def default_rubric() -> dict:
    return copy.deepcopy(DEFAULT_RUBRIC)


# ---------------------------------------------------------------------------- facts and results


@dataclass
class Tally:
    """Attendance at one kind of activity: expected, present, and on approved leave."""

    expected: int = 0
    present: int = 0
    leave: int = 0


@dataclass
class MemberFacts:
    """Everything a health check is computed from, for one member over one period."""

    attendance: dict[str, Tally] = field(default_factory=dict)  # by activity kind
    dues_months_due: int = 0
    dues_months_paid: int = 0  # paid in full by the month's end
    volunteer_hours: Decimal = ZERO
    months_on_roster: int = 12
    period_months: int = 12
    commendations: dict[str, int] = field(default_factory=dict)  # by level: count
    sanctions: dict[str, int] = field(default_factory=dict)  # by kind: count


@dataclass
class ItemScore:
    key: str
    label: str
    points: Decimal
    score: Decimal
    found: str

    def as_json(self) -> dict:
        # Field by field rather than ``asdict`` (which deep-copies): a city scores 50,000 members.
        return {k: _jsonable(getattr(self, k)) for k in ("key", "label", "points", "score", "found")}


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value


@dataclass
class Score:
    items: list[ItemScore]
    bonus: Decimal
    deduction: Decimal
    vetoed: bool
    subtotal: Decimal  # items + bonus − deduction, before adjustment, clamp and veto
    adjustment: Decimal
    total: Decimal
    grade: str


def _d(value) -> Decimal:
    return Decimal(str(value))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal) -> str:
    """Hours or points without trailing zeros: 24, 6, 18.5."""
    text = format(value.normalize(), "f")
    return text


def _rate_item(item: Mapping, numerator: Decimal, denominator: Decimal, found: str, none_found: str) -> ItemScore:
    points = _d(item["points"])
    if denominator <= 0:
        return ItemScore(item["key"], item["label"], points, _cents(points), none_found)
    rate = min(Decimal(1), max(ZERO, numerator / denominator))
    return ItemScore(item["key"], item["label"], points, _cents(points * rate), found)


def _attendance_item(item: Mapping, facts: MemberFacts) -> ItemScore:
    tallies = [facts.attendance.get(kind, Tally()) for kind in item.get("kinds", [])]
    present = sum(t.present for t in tallies)
    expected = sum(t.expected - t.leave for t in tallies)
    return _rate_item(item, Decimal(present), Decimal(expected), f"{present}/{expected}", "无应参加活动")


def _dues_item(item: Mapping, facts: MemberFacts) -> ItemScore:
    paid, due = facts.dues_months_paid, facts.dues_months_due
    return _rate_item(item, Decimal(paid), Decimal(due), f"按月足额缴纳 {paid}/{due} 个月", "无应缴月份")


def _volunteer_item(item: Mapping, facts: MemberFacts) -> ItemScore:
    # The yearly target, pro-rated for a quarter and for the months the member was on the roster.
    target = _cents(_d(item.get("hours_per_year", "24")) * facts.months_on_roster / 12)
    hours = _d(facts.volunteer_hours)
    return _rate_item(item, hours, target, f"{_fmt(hours)}/{_fmt(target)} 小时", "无应服务时长")


_ITEM_RULES = {"attendance": _attendance_item, "dues": _dues_item, "volunteer": _volunteer_item}


def bonus_points(rubric: Mapping, commendations: Mapping[str, int]) -> Decimal:
    table = rubric.get("commendation_points", {})
    raw = sum((_d(table.get(level, 0)) * n for level, n in commendations.items()), ZERO)
    cap = rubric.get("commendation_cap")
    return _cents(raw if cap is None else min(raw, _d(cap)))


def deduction_points(rubric: Mapping, sanctions: Mapping[str, int]) -> Decimal:
    table = rubric.get("deduction_points", {})
    raw = sum((_d(table.get(kind, 0)) * n for kind, n in sanctions.items()), ZERO)
    cap = rubric.get("deduction_cap")
    return _cents(raw if cap is None else min(raw, _d(cap)))


def is_vetoed(rubric: Mapping, sanctions: Mapping[str, int]) -> bool:
    return any(sanctions.get(kind, 0) > 0 for kind in rubric.get("veto_kinds", []))


def grade_for(rubric: Mapping, total: Decimal, vetoed: bool = False) -> str:
    if vetoed:
        return rubric["veto_grade"]
    for row in sorted(rubric["grades"], key=lambda g: _d(g["min"]), reverse=True):
        if total >= _d(row["min"]):
            return row["grade"]
    return rubric["grades"][-1]["grade"]


def finalize(rubric: Mapping, *, subtotal: Decimal, adjustment: Decimal, vetoed: bool) -> tuple[Decimal, str]:
    """Total and grade: subtotal plus the adjustment, clamped to [0, 100], capped by a veto."""
    total = min(HUNDRED, max(ZERO, subtotal + adjustment))
    if vetoed:
        total = min(total, _d(rubric["veto_cap"]))
    total = _cents(total)
    return total, grade_for(rubric, total, vetoed)


def score(rubric: Mapping, facts: MemberFacts, adjustment: Decimal = ZERO) -> Score:
    """The health check of one member: each item, bonuses, deductions, veto, total and grade."""
    items = [_ITEM_RULES[item["source"]](item, facts) for item in rubric["items"]]
    bonus = bonus_points(rubric, facts.commendations)
    deduction = deduction_points(rubric, facts.sanctions)
    vetoed = is_vetoed(rubric, facts.sanctions)
    subtotal = _cents(sum((i.score for i in items), ZERO) + bonus - deduction)
    adjustment = _cents(_d(adjustment))
    total, grade = finalize(rubric, subtotal=subtotal, adjustment=adjustment, vetoed=vetoed)
    return Score(items, bonus, deduction, vetoed, subtotal, adjustment, total, grade)


# ---------------------------------------------------------------------------- validation


def validate(config: Mapping) -> list[str]:
    """Problems (in Chinese) with an edited rubric; an empty list means it can be saved."""
    problems: list[str] = []
    try:
        problems += _validate_items(config.get("items") or [])
        for key in ("commendation_cap", "veto_cap", "adjustment_limit"):
            if _d(config[key]) < 0:
                problems.append(f"{key} 不能为负数")
        for table in ("commendation_points", "deduction_points"):
            if any(_d(v) < 0 for v in config.get(table, {}).values()):
                problems.append("加分和扣分值不能为负数")
        grades = config["grades"]
        if not grades or min(_d(g["min"]) for g in grades) != 0:
            problems.append("等次线须包含 0 分一档")
        if config["veto_grade"] not in {g["grade"] for g in grades}:
            problems.append("一票否决的等次不在等次表中")
    except (KeyError, TypeError, InvalidOperation, ValueError):
        problems.append("评分细则格式不正确")
    return problems


def _validate_items(items) -> list[str]:
    problems = []
    if not items:
        return ["至少需要一个评分项目"]
    if len({i["key"] for i in items}) != len(items):
        problems.append("评分项目的标识不能重复")
    for item in items:
        if item["source"] not in SOURCES:
            problems.append(f"“{item['label']}”的数据来源未知")
        if _d(item["points"]) < 0:
            problems.append(f"“{item['label']}”的分值不能为负数")
        if item["source"] == "attendance" and not item.get("kinds"):
            problems.append(f"“{item['label']}”须指定活动类型")
    if sum(_d(i["points"]) for i in items) != HUNDRED:
        problems.append("各评分项目分值之和应为 100 分")
    return problems
