"""Checks of imported rows: the member rules, the importer's scope, and the roster as it is.

One ``RowChecker`` serves every import path (the bulk importer, the django-import-export
resource of the admin and the benchmark's baseline). The member rules themselves are
``members.rules.check_member``; this module only adds what belongs to an import: codes
that name branches, the importer's scope, the file's own duplicates, and how a row
compares with the member already on the roster.

Look-ups by ID number must not tell who is a member, nor where: a number on the roster
outside the user's manage scope answers ``CANNOT_ENROL`` (roster import, member creation) or
``NOT_IN_SCOPE`` (dues import, which also gives it for a number not on the roster), never a
name or a branch; and every such failed look-up counts against the user's hourly
``LookupBudget`` (``settings.RATE_LIMITS["member_lookup"]``), so that guessing numbers in bulk
stops after a few hundred.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connection

from branches import access
from branches.models import Branch
from core.ratelimit import rate_limit_peek, rate_limit_spend, wait_text

from .. import crypto
from ..models import Member
from ..rules import MemberData, check_member, phone_locked_by, phone_locked_message
from .columns import HEADER_OF, split_legacy_category

# The same answer whether the number is on another branch's roster or (dues) on none.
NOT_IN_SCOPE = "不在您管理的党组织，或花名册中没有该公民身份号码"
CANNOT_ENROL = "该公民身份号码无法建档，请联系上级组织部核实"
LOOKUP_SCOPE = "member_lookup"


@dataclass(frozen=True)
class RowError:
    """One refusal: the Excel row number, the Chinese column header and the reason."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        place = "，".join(p for p in (f"第{self.row}行" if self.row else "", self.column or "") if p)
        return f"{place}：{self.message}" if place else self.message


class Existing(NamedTuple):
    """A member already on the roster, as far as an import compares it."""

    digest: str
    pk: int
    branch_id: int
    branch_path: str
    group_id: int | None
    household_id: int | None
    is_active: bool
    left_on: datetime.date | None
    name: str
    sex: str
    ethnicity: str
    birth_date: datetime.date
    education: str
    phone: str
    occupation: str
    situation: str
    status: str
    joined_on: datetime.date
    confirmed_on: datetime.date | None

    @classmethod
    def of(cls, member: Member) -> Existing:
        return cls(
            member.id_number_digest,
            member.pk,
            member.branch_id,
            member.branch.path,
            *(getattr(member, name) for name in cls._fields[4:]),
        )


EXISTING_VALUES = ("id_number_digest", "pk", "branch_id", "branch__path", *Existing._fields[4:])
# Fields compared one to one; the branch and the group are compared by id.
COMPARED = (
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "education",
    "phone",
    "occupation",
    "situation",
    "status",
    "joined_on",
    "confirmed_on",
)


@dataclass(slots=True)
class CheckedRow:
    row: int
    data: MemberData
    digest: str
    existing: Existing | None = None
    changes: tuple[str, ...] = ()  # column keys whose value differs from the roster

    @property
    def is_transfer(self) -> bool:
        return self.existing is not None and self.existing.branch_id != self.data.branch.pk

    @property
    def group_id(self) -> int | None:
        return self.data.group.pk if self.data.group is not None else None


def chunked(items: list, size: int | None = None) -> Iterator[list]:
    """Slices small enough for one ``IN (...)`` on the current database."""
    limit = connection.features.max_query_params or 10_000
    size = min(size or 10_000, limit)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_existing(digests: Iterable[str]) -> dict[str, Existing]:
    """The roster's members with these ID digests: one query per 10,000 numbers."""
    found: dict[str, Existing] = {}
    for chunk in chunked(sorted(set(digests))):
        rows = Member.objects.filter(id_number_digest__in=chunk).order_by().values_list(*EXISTING_VALUES)
        found.update((row[0], Existing(*row)) for row in rows)
    return found


class RowChecker:
    """Turns read rows into ``MemberData`` and every problem into a ``RowError``."""

    def __init__(self, *, user, today: datetime.date):
        # Where the importer may write and what they may see (``None``, the system: everywhere).
        self.manages = access.path_test(user, access.MANAGE)
        self.sees = access.path_test(user, access.VIEW)
        self.today = today
        self.branches: dict[str, Branch] = {}
        self.budget = LookupBudget(user)
        self.failed_lookups: set[str] = set()  # numbers on the roster outside the importer's scope

    def load_branches(self, codes: Iterable[str]) -> None:
        """Every branch named in the file: one query (per 10,000 codes)."""
        wanted = sorted({code for code in codes if code} - set(self.branches))
        for chunk in chunked(wanted):
            for branch in Branch.objects.filter(code__in=chunk).order_by():
                self.branches[branch.code] = branch

    def check(self, number: int, values: dict, unreadable: dict[str, str]) -> tuple[CheckedRow | None, list[RowError]]:
        """Check one row read by ``import_columns.read_row``; the row is None when it has errors."""
        errors = [RowError(number, HEADER_OF[key], message) for key, message in unreadable.items()]
        failed = set(unreadable)
        branch = self._branch(number, values.get("branch") or "", errors, failed)
        group = self._group(number, values.get("group") or "", errors, failed)
        occupation, situation, header_of = _occupation_situation(values, failed)
        data = MemberData(
            name=values.get("name") or "",
            id_number=values.get("id_number") or "",
            branch=branch,
            joined_on=values.get("joined_on"),
            status=values.get("status") or "",
            occupation=occupation,
            situation=situation,
            sex=values.get("sex") or "",
            birth_date=values.get("birth_date"),
            ethnicity=values.get("ethnicity") or "汉族",
            education=values.get("education") or "",
            phone=values.get("phone") or "",
            group=group,
            confirmed_on=values.get("confirmed_on"),
        )
        for field, message in check_member(data, today=self.today):
            if field not in failed:
                errors.append(RowError(number, header_of.get(field, field), message))
        if errors:
            return None, errors
        return CheckedRow(number, data, crypto.digest(data.id_number)), []

    def _branch(self, number: int, code: str, errors: list, failed: set) -> Branch | None:
        header = HEADER_OF["branch"]
        if not code:
            errors.append(RowError(number, header, "党组织编码不能为空"))
        else:
            branch = self._known(number, "branch", code, errors)
            if branch is not None and not self.manages(branch.path):
                errors.append(RowError(number, header, f"您没有管理“{branch.name}”（{code}）的权限，不能向其导入党员"))
            elif branch is not None:
                return branch
        failed.add("branch")
        return None

    def _group(self, number: int, code: str, errors: list, failed: set) -> Branch | None:
        if not code:
            return None
        group = self._known(number, "group", code, errors)
        if group is None:
            failed.add("group")
        return group

    def _known(self, number: int, key: str, code: str, errors: list) -> Branch | None:
        """The branch of ``code`` if the importer may see it; otherwise one error that reveals nothing."""
        branch = self.branches.get(code)
        if branch is None or not self.sees(branch.path):
            errors.append(RowError(number, HEADER_OF[key], f"{HEADER_OF[key]}“{code}”不存在或不在您的管理范围内"))
            return None
        return branch

    def compare(self, row: CheckedRow, existing: Existing | None) -> list[RowError]:
        """Match ``row`` with the member already on the roster (None: a new member)."""
        row.existing = existing
        if existing is None:
            return []
        header = HEADER_OF["id_number"]
        if not self.manages(existing.branch_path):
            self.failed_lookups.add(row.digest)
            return [RowError(row.row, header, CANNOT_ENROL)]
        if not existing.is_active:
            left = f"于{existing.left_on:%Y年%m月%d日}" if existing.left_on else ""
            return [RowError(row.row, header, f"该党员已{left}离册，不能通过导入修改，请联系组织部门")]
        data = row.data
        changes = [key for key in COMPARED if getattr(data, key) != getattr(existing, key)]
        if data.branch.pk != existing.branch_id:
            changes.append("branch")
        if row.group_id != existing.group_id:
            changes.append("group")
        row.changes = tuple(changes)
        return []

    def phone_errors(self, rows: list[CheckedRow]) -> list[RowError]:
        """Rows changing a phone that a position above the importer's scope locks (``rules.phone_locked_by``)."""
        changed = {row.existing.pk: row for row in rows if "phone" in row.changes}
        errors = []
        for chunk in chunked(list(changed)):
            for member_id, branches in phone_locked_by(chunk, self.manages).items():
                row = changed[member_id]
                errors.append(RowError(row.row, HEADER_OF["phone"], phone_locked_message(row.data.name, branches)))
        return errors


def _occupation_situation(values: dict, failed: set) -> tuple[str, str, dict[str, str]]:
    """职业类别 and 党员状况, from their columns or else from an older sheet's 人员类别; the headers
    that problems name (人员类别 when the row's values came from it)."""
    occupation, situation = values.get("occupation"), values.get("situation")
    if "occupation" in values or "situation" in values or "category" not in values:
        return occupation or "", situation or "", HEADER_OF
    if "category" in failed:
        failed.update({"occupation", "situation"})
    occupation, situation = split_legacy_category(values.get("category") or "")
    legacy = HEADER_OF["category"]
    return occupation, situation, HEADER_OF | {"occupation": legacy, "situation": legacy}


class LookupBudget:
    """A user's hourly budget of failed look-ups by ID number; None (the server's administrator): unlimited."""

    def __init__(self, user):
        self.who = None if user is None else f"u{user.pk}"

    def exhausted(self) -> str | None:
        """The refusal if the budget is already spent, else None; counts nothing."""
        if self.who is None:
            return None
        limit, window = settings.RATE_LIMITS[LOOKUP_SCOPE]
        allowed, retry_after = rate_limit_peek(scope=LOOKUP_SCOPE, who=self.who, limit=limit, window=window)
        return None if allowed else self._refusal(retry_after)

    def spend(self, failures: int) -> str | None:
        """Count ``failures``; the refusal if the budget was spent already or is now overspent, else None."""
        refusal = self.exhausted()
        if refusal is not None or failures <= 0 or self.who is None:
            return refusal
        allowed, retry_after = rate_limit_spend(scope=LOOKUP_SCOPE, who=self.who, count=failures)
        return None if allowed else self._refusal(retry_after)

    @staticmethod
    def _refusal(retry_after: int) -> str:
        limit, window = settings.RATE_LIMITS[LOOKUP_SCOPE]
        return (
            f"查询不到或不在您管理范围内的公民身份号码过多（每{window // 60}分钟最多{limit}个），"
            f"本次操作未执行，请{wait_text(retry_after)}后再试"
        )

    def refusal_error(self, failures: int) -> RowError | None:
        """``spend`` as an import's one error (the rows' own errors are then not shown)."""
        message = self.spend(failures)
        return None if message is None else RowError(None, None, message)


def duplicate_errors(rows: Iterable[tuple[int, str]]) -> list[RowError]:
    """The same ID number on several rows: an error on each, naming the others."""
    seen: dict[str, list[int]] = {}
    for number, digest in rows:
        seen.setdefault(digest, []).append(number)
    errors = []
    header = HEADER_OF["id_number"]
    for numbers in seen.values():
        if len(numbers) > 1:
            for number in numbers:
                others = "、".join(f"第{n}行" for n in numbers if n != number)
                errors.append(RowError(number, header, f"公民身份号码在文件中重复出现（与{others}相同）"))
    return errors
