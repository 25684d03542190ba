"""The rules a member's record must satisfy, written once for forms, services and imports.

``check_member`` takes already-typed values and returns a list of ``(field, message)``
problems in Chinese; an empty list means the record is acceptable.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from branches.models import Branch
from core.labels import source_choices, source_label

from .idnumbers import IdNumberError, is_valid_phone, parse_id_number
from .models import Member, Position


@dataclass
class MemberData:
    name: str
    id_number: str
    branch: Branch | None
    joined_on: datetime.date | None
    status: str
    occupation: str = Member.Occupation.EMPLOYED
    situation: str = Member.Situation.NORMAL
    sex: str = ""
    birth_date: datetime.date | None = None
    ethnicity: str = "汉族"
    education: str = ""
    phone: str = ""
    group: Branch | None = None
    household: Branch | None = None
    confirmed_on: datetime.date | None = None
    probation_extension_months: int = 0


# Built once: ``TextChoices.values`` makes a new list on every call, and imports check every row.
_STATUSES = frozenset(Member.Status.values)
_OCCUPATIONS = frozenset(Member.Occupation.values)
_SITUATIONS = frozenset(Member.Situation.values)
_EDUCATIONS = frozenset(Member.Education.values)
# The Chinese source labels (they are lazy translations; messages of the checks stay Chinese).
_OCCUPATION_LABELS = "、".join(label for _value, label in source_choices(Member.Occupation))
_SITUATION_LABELS = "、".join(label for _value, label in source_choices(Member.Situation))
_EDUCATION_LABELS = "、".join(label for _value, label in source_choices(Member.Education))
_SEX_LABELS = dict(source_choices(Member.Sex))


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_member(data: MemberData, *, today: datetime.date) -> list[tuple[str, str]]:
    """Every problem with ``data``; fills ``sex`` and ``birth_date`` from the ID number when blank."""
    problems: list[tuple[str, str]] = []
    if not data.name.strip():
        problems.append(("name", "姓名不能为空"))
    problems += _check_id_number(data)
    problems += _check_organization(data)
    if data.status not in _STATUSES:
        problems.append(("status", "党员状态应为“正式党员”或“预备党员”"))
    if data.occupation not in _OCCUPATIONS:
        problems.append(("occupation", f"职业类别应为{_OCCUPATION_LABELS}之一"))
    if data.situation not in _SITUATIONS:
        problems.append(("situation", f"党员状况应为{_SITUATION_LABELS}之一"))
    if data.education and data.education not in _EDUCATIONS:
        problems.append(("education", f"学历应为{_EDUCATION_LABELS}之一"))
    if data.phone and not is_valid_phone(data.phone):
        problems.append(("phone", "手机号码应为11位、以1开头的号码"))
    problems += _check_dates(data, today)
    return problems


def _check_id_number(data: MemberData) -> list[tuple[str, str]]:
    try:
        number, birth, sex = parse_id_number(data.id_number)
    except IdNumberError as exc:
        return [("id_number", f"公民身份号码{exc}")]
    data.id_number = number
    problems = []
    if data.birth_date and data.birth_date != birth:
        problems.append(("birth_date", f"出生日期与公民身份号码不符（号码中为{birth:%Y-%m-%d}）"))
    if data.sex and data.sex != sex:
        problems.append(("sex", f"性别与公民身份号码不符（号码中为{_SEX_LABELS[sex]}）"))
    data.birth_date, data.sex = birth, sex
    return problems


def _check_organization(data: MemberData) -> list[tuple[str, str]]:
    problems = []
    branch = data.branch
    if branch is None:
        return [("branch", "党组织不能为空")]
    if branch.kind not in Branch.MEMBER_HOME_KINDS:
        problems.append(
            ("branch", f"“{branch.name}”是{source_label(Branch.Kind, branch.kind)}，党员应编入党支部或党总支")
        )
    if branch.is_dissolved:
        problems.append(("branch", f"“{branch.name}”已撤销"))
    if data.group is not None:
        if data.group.kind != Branch.Kind.GROUP or not data.group.path.startswith(branch.path):
            problems.append(("group", f"“{data.group.name}”不是“{branch.name}”下的党小组"))
    if data.household is not None:
        parent = data.group or branch
        if data.household.kind != Branch.Kind.HOUSEHOLD or not data.household.path.startswith(parent.path):
            problems.append(("household", f"“{data.household.name}”不是所属党小组下的党员中心户"))
    return problems


def _check_dates(data: MemberData, today: datetime.date) -> list[tuple[str, str]]:
    problems = []
    joined = data.joined_on
    if joined is None:
        problems.append(("joined_on", "入党日期不能为空"))
    else:
        if joined > today:
            problems.append(("joined_on", "入党日期不能晚于今天"))
        if data.birth_date and joined < add_years(data.birth_date, 18):
            problems.append(("joined_on", "入党日期早于年满18周岁之日"))
    if data.status == Member.Status.PROBATIONARY and data.confirmed_on:
        problems.append(("confirmed_on", "预备党员不应有转正日期"))
    if data.status == Member.Status.FULL:
        if not data.confirmed_on:
            problems.append(("confirmed_on", "正式党员须填写转正日期"))
        elif joined and data.confirmed_on <= joined:
            problems.append(("confirmed_on", "转正日期应晚于入党日期"))
        elif data.confirmed_on > today:
            problems.append(("confirmed_on", "转正日期不能晚于今天"))
    return problems


def phone_locked_by(member_ids, manages) -> dict[int, list[str]]:
    """For each of ``member_ids`` whose phone the editor may not change: the branches that lock it.

    The phone is what an account is activated with (``accounts.account_activate``): the phone of
    a member holding a current position on a branch the editor does not manage (``manages(path)``
    is false) is changed only by someone who manages that branch, so that nobody reaches, through
    the member's account, rights above their own. Used by ``services.member_update`` and the
    roster import (``import_checks.RowChecker.phone_errors``).
    """
    locked: dict[int, set[str]] = {}
    positions = Position.objects.filter(member_id__in=member_ids, ended_on__isnull=True)
    for member_id, path, name in positions.values_list("member_id", "branch__path", "branch__name"):
        if not manages(path):
            locked.setdefault(member_id, set()).add(name)
    return {member_id: sorted(names) for member_id, names in locked.items()}


def phone_locked_message(name: str, branches: list[str]) -> str:
    return f"{name}在“{'、'.join(branches)}”任职，其手机号码只能由管理该组织的人员修改"
