"""A subtree's health checks computed inside PostgreSQL: one statement per rubric in force.

``health.rubric.score`` is the arithmetic of one member, in Python; at a city's scale
(50,000 members) fetching every member's facts, scoring them one by one and sending the
results back cost forty times the aggregate that reads the same rows. Here the rubric (a
handful of numbers, kinds and thresholds) is written into SQL instead, and one
``WITH … INSERT … SELECT … ON CONFLICT`` reads the facts, scores every member, upserts the
checks that changed and logs a "computed" event for each, without a row leaving the
server. The result is the same as ``rubric.score`` item by item, text by text (tested
against it in ``tests/health/test_compute_sql.py``); SQLite keeps the Python path.

Only the roster and a narrow copy of its existing checks (``previous``: status and total, for
the log and the counts) are materialized; the scoring streams from the aggregates into the
insert, so memory does not grow with the width of a scored row.

Concurrency: the ``DO UPDATE`` recomputes the total from the row's *current* adjustment
and only touches a row whose current status the branch may still change, so a concurrent
adjustment or submission is never overwritten.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from activities.models import Activity, Attendance, LeaveRequest

from . import rubric as rules
from .models import HealthCheck, HealthCheckEvent


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    locked: int = 0


@dataclass
class _Sql:
    """SQL text and its named parameters, built up piece by piece."""

    params: dict = field(default_factory=dict)

    def param(self, value, cast: str = "") -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s{'::' + cast if cast else ''}"


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month


def _case(sql: _Sql, column: str, table: dict) -> str:
    """``CASE column WHEN key THEN points … ELSE 0 END`` for a rubric's points table."""
    if not table:
        return "0"
    whens = " ".join(
        f"WHEN {sql.param(key, 'text')} THEN {sql.param(rules._d(value), 'numeric')}" for key, value in table.items()
    )
    return f"CASE {column} {whens} ELSE 0 END"


def _capped(sql: _Sql, expression: str, cap) -> str:
    return expression if cap is None else f"LEAST({expression}, {sql.param(rules._d(cap), 'numeric')})"


def _rate(sql: _Sql, points: Decimal, numerator: str, denominator: str) -> str:
    """``rubric._rate_item``'s score: points × numerator / denominator, clamped, in cents; full without one."""
    p = sql.param(points, "numeric")
    return (
        f"CASE WHEN {denominator} <= 0 THEN ROUND({p}, 2) "
        f"ELSE ROUND({p} * LEAST(GREATEST({numerator}, 0), {denominator}) / {denominator}, 2) END"
    )


def _item(sql: _Sql, index: int, item: dict) -> tuple[list[str], str, str]:
    """For one rubric item: the attendance aggregates it needs, its score and its "how found" text."""
    source = item["source"]
    if source == "attendance":
        kinds = sql.param(list(item.get("kinds", [])), "text[]")
        present, expected = f"present_{index}", f"expected_{index}"
        aggregates = [
            f"COUNT(*) FILTER (WHERE expected AND is_present AND kind = ANY({kinds})) AS {present}",
            f"COUNT(*) FILTER (WHERE expected AND NOT on_leave AND kind = ANY({kinds})) AS {expected}",
        ]
        p, e = f"COALESCE(a.{present}, 0)", f"COALESCE(a.{expected}, 0)"
        found = f"{p}::text || '/' || {e}::text"
        none = "无应参加活动"
        return aggregates, _rate(sql, rules._d(item["points"]), p, e), _found(sql, e, found, none)
    if source == "dues":
        paid, due = "COALESCE(d.months_paid, 0)", "COALESCE(d.months_due, 0)"
        found = f"'按月足额缴纳 ' || {paid}::text || '/' || {due}::text || ' 个月'"
        return [], _rate(sql, rules._d(item["points"]), paid, due), _found(sql, due, found, "无应缴月份")
    per_year = sql.param(rules._d(item.get("hours_per_year", "24")), "numeric")
    target = f"ROUND({per_year} * r.months / 12, 2)"
    hours = "COALESCE(a.volunteer_hours, 0)"
    found = f"TRIM_SCALE({hours})::text || '/' || TRIM_SCALE({target})::text || ' 小时'"
    return [], _rate(sql, rules._d(item["points"]), hours, target), _found(sql, target, found, "无应服务时长")


def _found(sql: _Sql, denominator: str, found: str, none: str) -> str:
    assert _json_text(none) == none, "a text that JSON would escape"
    return f"CASE WHEN {denominator} <= 0 THEN {sql.param(none, 'text')} ELSE {found} END"


def _total(sql: _Sql, config: dict, subtotal: str, adjustment: str, vetoed: str) -> str:
    """``rubric.finalize``'s total: clamped to [0, 100], capped by a veto, in cents."""
    clamped = f"LEAST(100, GREATEST(0, {subtotal} + {adjustment}))"
    cap = sql.param(rules._d(config["veto_cap"]), "numeric")
    return f"ROUND(CASE WHEN {vetoed} THEN LEAST({clamped}, {cap}) ELSE {clamped} END, 2)"


def _grade(sql: _Sql, config: dict, total: str, vetoed: str) -> str:
    """``rubric.grade_for``: the veto's grade, else the highest threshold reached."""
    ordered = sorted(config["grades"], key=lambda g: rules._d(g["min"]), reverse=True)
    whens = " ".join(
        f"WHEN {total} >= {sql.param(rules._d(g['min']), 'numeric')} THEN {sql.param(g['grade'], 'text')}"
        for g in ordered
    )
    last = sql.param(config["grades"][-1]["grade"], "text")
    return f"CASE WHEN {vetoed} THEN {sql.param(config['veto_grade'], 'text')} {whens} ELSE {last} END"


def _json_text(value: str) -> str:
    """``value`` as the inside of a JSON string (what ``json.dumps`` writes between the quotes)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _item_json(sql: _Sql, index: int, item: dict) -> str:
    """One item of ``HealthCheck.items`` as JSON text: its constant part is written here, in Python.

    Concatenated text cast to ``jsonb`` once costs less than half of ``jsonb_build_object``.
    The score is a number and the "how found" text is made of numbers and the texts of
    ``_item``, none of which needs escaping (checked by ``_found``).
    """
    head = json.dumps(
        {"key": item["key"], "label": item["label"], "points": str(rules._d(item["points"]))}, ensure_ascii=False
    )[:-1]
    return f"""{sql.param(head + ', "score": "', "text")} || score_{index}::text || '", "found": "' || found_{index} || '"}}'"""


def _statement(config: dict, sql: _Sql) -> str:
    """The whole computation for one rubric; parameters named in ``sql.params``."""
    aggregates, scores, found = [], [], []
    for index, item in enumerate(config["items"]):
        needs, score, how = _item(sql, index, item)
        aggregates += needs
        scores.append(f"{score} AS score_{index}")
        found.append(how)
    items_json = " || ', ' || ".join(_item_json(sql, index, item) for index, item in enumerate(config["items"]))
    found_columns = ", ".join(f"{how} AS found_{index}" for index, how in enumerate(found))
    score_sum = " + ".join(f"score_{index}" for index in range(len(config["items"])))
    bonus = _capped(sql, "COALESCE(c.raw, 0)", config.get("commendation_cap"))
    deduction = _capped(sql, "COALESCE(s.raw, 0)", config.get("deduction_cap"))
    attendance_columns = "".join(a + ", " for a in aggregates)
    commendation_points = _case(sql, "level", config.get("commendation_points", {}))
    sanction_points = _case(sql, "kind", config.get("deduction_points", {}))
    score_columns = ", ".join(scores)
    veto_kinds = sql.param(list(config.get("veto_kinds", [])), "text[]")
    new_total = _total(sql, config, "subtotal", "0", "vetoed")
    kept_total = _total(sql, config, "subtotal", "old_adjustment", "vetoed")  # the adjustment kept
    current_total = _total(sql, config, "EXCLUDED.subtotal", "hc.adjustment", "EXCLUDED.vetoed")
    new_grade = _grade(sql, config, new_total, "vetoed")
    kept_grade = _grade(sql, config, kept_total, "vetoed")
    current_grade = _grade(sql, config, current_total, "EXCLUDED.vetoed")
    return f"""
WITH roster AS (
    SELECT m.id AS member_id, m.branch_id,
           GREATEST(0, LEAST(%(end_month)s,
                             CASE WHEN m.is_active THEN %(end_month)s
                                  ELSE EXTRACT(YEAR FROM m.left_on)::int * 12 + EXTRACT(MONTH FROM m.left_on)::int END)
                       - GREATEST(%(start_month)s, EXTRACT(YEAR FROM m.joined_on)::int * 12
                                                   + EXTRACT(MONTH FROM m.joined_on)::int) + 1) AS months
    FROM members_member m
    WHERE m.branch_id = ANY(%(branches)s) AND m.joined_on <= %(last_day)s
      AND (m.is_active OR m.left_on >= %(first_day)s)
),
previous AS MATERIALIZED (  -- the roster's checks as they were: a narrow copy for the log and the counts
    SELECT h.member_id, h.status AS old_status, h.total AS old_total
    FROM roster r JOIN health_healthcheck h ON h.member_id = r.member_id AND h.period = %(period)s
),
rows AS (
    SELECT at.member_id, ac.kind, at.expected, at.hours, at.status = %(present)s AS is_present,
           at.status <> %(present)s AND (at.status = %(leave)s OR (at.activity_id, at.member_id) IN (
               SELECT lr.activity_id, lr.member_id FROM activities_leaverequest lr WHERE lr.status = %(approved)s
           )) AS on_leave
    FROM activities_attendance at JOIN activities_activity ac ON ac.id = at.activity_id
         JOIN roster r ON r.member_id = at.member_id
    WHERE ac.status = %(held)s AND ac.starts_at >= %(start)s AND ac.starts_at < %(end)s
),
attendance AS (
    SELECT member_id, {attendance_columns}
           SUM(hours) FILTER (WHERE is_present AND kind = %(volunteer)s) AS volunteer_hours
    FROM rows GROUP BY member_id
),
dues AS (
    SELECT member_id, COUNT(*) FILTER (WHERE due > 0) AS months_due,
           COUNT(*) FILTER (WHERE due > 0 AND paid >= due
                            AND paid_on <= (month + INTERVAL '1 month' - INTERVAL '1 day')::date) AS months_paid
    FROM members_duespayment JOIN roster USING (member_id)
    WHERE month >= %(first_day)s AND month <= %(last_day)s
    GROUP BY member_id
),
commendations AS (
    SELECT member_id, SUM({commendation_points}) AS raw
    FROM members_commendation JOIN roster USING (member_id)
    WHERE awarded_on >= %(first_day)s AND awarded_on <= %(last_day)s
    GROUP BY member_id
),
sanctions AS (
    SELECT member_id, SUM({sanction_points}) AS raw,
           BOOL_OR(kind = ANY({veto_kinds})) AS vetoed
    FROM members_sanction JOIN roster USING (member_id)
    WHERE imposed_on >= %(first_day)s AND imposed_on <= %(last_day)s
    GROUP BY member_id
),
scored AS (
    SELECT r.member_id, r.branch_id, h.status AS old_status, h.total AS old_total,
           h.adjustment AS old_adjustment, h.branch_id AS old_branch_id, h.rubric_id AS old_rubric_id,
           h.snapshot_id AS old_snapshot_id, h.items AS old_items, h.bonus AS old_bonus,
           h.deduction AS old_deduction, h.vetoed AS old_vetoed, h.subtotal AS old_subtotal, h.grade AS old_grade,
           {score_columns}, {found_columns},
           ROUND({bonus}, 2) AS bonus, ROUND({deduction}, 2) AS deduction,
           COALESCE(s.vetoed, FALSE) AS vetoed
    FROM roster r
    LEFT JOIN attendance a ON a.member_id = r.member_id
    LEFT JOIN dues d ON d.member_id = r.member_id
    LEFT JOIN commendations c ON c.member_id = r.member_id
    LEFT JOIN sanctions s ON s.member_id = r.member_id
    LEFT JOIN health_healthcheck h ON h.member_id = r.member_id AND h.period = %(period)s
),
summed AS (
    SELECT *, ROUND({score_sum} + bonus - deduction, 2) AS subtotal,
           ('[' || {items_json} || ']')::jsonb AS items
    FROM scored
),
upserted AS (
    INSERT INTO health_healthcheck AS hc
        (member_id, branch_id, period, rubric_id, snapshot_id, items, bonus, deduction, vetoed, subtotal,
         adjustment, adjustment_reason, total, grade, status, computed_at, updated_at)
    SELECT member_id, branch_id, %(period)s, %(rubric)s, %(snapshot)s, items, bonus, deduction, vetoed, subtotal,
           0, '', {new_total}, {new_grade}, %(draft)s, %(now)s, %(now)s
    FROM summed
    WHERE old_status IS NULL OR old_status = ANY(%(editable)s) AND (
        old_branch_id, old_rubric_id, old_snapshot_id, old_items, old_bonus, old_deduction, old_vetoed,
        old_subtotal, old_total, old_grade
    ) IS DISTINCT FROM (
        branch_id, %(rubric)s, %(snapshot)s, items, bonus, deduction, vetoed, subtotal, {kept_total}, {kept_grade}
    )
    ON CONFLICT (member_id, period) DO UPDATE SET
        branch_id = EXCLUDED.branch_id, rubric_id = EXCLUDED.rubric_id, snapshot_id = EXCLUDED.snapshot_id,
        items = EXCLUDED.items, bonus = EXCLUDED.bonus, deduction = EXCLUDED.deduction, vetoed = EXCLUDED.vetoed,
        subtotal = EXCLUDED.subtotal, total = {current_total},
        grade = {current_grade}, computed_at = EXCLUDED.computed_at
    WHERE hc.status = ANY(%(editable)s) AND (
        hc.branch_id, hc.rubric_id, hc.snapshot_id, hc.items, hc.bonus, hc.deduction, hc.vetoed, hc.subtotal,
        hc.total, hc.grade
    ) IS DISTINCT FROM (
        EXCLUDED.branch_id, EXCLUDED.rubric_id, EXCLUDED.snapshot_id, EXCLUDED.items, EXCLUDED.bonus,
        EXCLUDED.deduction, EXCLUDED.vetoed, EXCLUDED.subtotal, {current_total},
        {current_grade}
    )
    RETURNING hc.id, hc.member_id, hc.total, (hc.xmax = 0) AS created
),
logged AS (
    INSERT INTO health_healthcheckevent (health_check_id, kind, by_id, at, detail, comment)
    SELECT u.id, %(computed)s, %(by)s, %(now)s,
           CASE WHEN u.created THEN '总分 ' || u.total::text
                ELSE '总分 ' || s.old_total::text || ' → ' || u.total::text END, ''
    FROM upserted u LEFT JOIN previous s ON s.member_id = u.member_id
)
SELECT (SELECT COUNT(*) FROM upserted WHERE created), (SELECT COUNT(*) FROM upserted WHERE NOT created),
       (SELECT COUNT(*) FROM previous WHERE old_status <> ALL(%(editable)s)), (SELECT COUNT(*) FROM roster)
"""


def compute(
    *, period: rules.Period, bounds, branch_ids: list[int], rubric_id, snapshot_id: int, config: dict, now, by_id
) -> Counts:
    """Score every member of ``branch_ids`` (all under one rubric) for ``period``; what was written."""
    sql = _Sql()
    text = _statement(config, sql)
    start, end = bounds
    sql.params.update(
        branches=list(branch_ids),
        start_month=_month_index(period.start),
        end_month=_month_index(period.end),
        first_day=period.start,
        last_day=period.end,
        start=start,
        end=end,
        period=period.code,
        rubric=rubric_id,
        snapshot=snapshot_id,
        now=now,
        by=by_id,
        present=Attendance.Status.PRESENT,
        leave=Attendance.Status.LEAVE,
        approved=LeaveRequest.Status.APPROVED,
        held=Activity.Status.HELD,
        volunteer=Activity.Kind.VOLUNTEER,
        draft=HealthCheck.Status.DRAFT,
        editable=sorted(HealthCheck.EDITABLE),
        computed=HealthCheckEvent.Kind.COMPUTED,
    )
    with connection.cursor() as cursor:
        # The estimates of a statement this size are huge enough to trigger JIT compilation,
        # which costs more than the statement saves (set for this transaction only).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(text, sql.params)
        created, updated, locked, total = cursor.fetchone()
    return Counts(created, updated, total - created - updated - locked, locked)
