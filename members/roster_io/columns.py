"""The roster's Excel columns: their Chinese headers and how a cell's value is read.

Pure functions, no database: the import resource, the bulk importer and the exporter all
read the columns from here, so a header or a date format is accepted the same way
everywhere. A cell that cannot be read raises ``CellError`` with a Chinese reason.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from openpyxl.utils.datetime import from_excel

from core.labels import source_choices

from ..idnumbers import normalize_id_number, normalize_phone, normalize_text
from ..models import Member


@dataclass(frozen=True)
class Column:
    key: str
    header: str


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名"),
    Column("sex", "性别"),
    Column("ethnicity", "民族"),
    Column("birth_date", "出生日期"),
    Column("id_number", "公民身份号码"),
    Column("education", "学历"),
    Column("phone", "手机号码"),
    Column("branch", "党组织编码"),
    Column("group", "党小组编码"),
    Column("occupation", "职业类别"),
    Column("situation", "党员状况"),
    Column("status", "党员状态"),
    Column("joined_on", "入党日期"),
    Column("confirmed_on", "转正日期"),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
# The one column of an older sheet still read: 人员类别, which held both fields (``LEGACY_CATEGORY``).
LEGACY_COLUMN = Column("category", "人员类别")
HEADER_OF: dict[str, str] = {c.key: c.header for c in COLUMNS} | {
    "household": "党小组编码",
    LEGACY_COLUMN.key: LEGACY_COLUMN.header,
}

# Headers people commonly write instead of the standard ones.
_HEADER_ALIASES = {
    "身份证号码": "公民身份号码",
    "身份证号": "公民身份号码",
    "手机号": "手机号码",
    "联系电话": "手机号码",
    "党支部编码": "党组织编码",
    "所在党组织编码": "党组织编码",
}
_KEY_OF_HEADER = {c.header: c.key for c in COLUMNS}
# A bracketed note such as "（必填）" or "[选填]", and marks such as "*".
_NOTE_RE = re.compile(r"[(\[【〔][^)\]】〕]*[)\]】〕]")
_MARKS_RE = re.compile(r"[\s*＊:：]")
_BRACKETS = "()[]【】〔〕"


class CellError(ValueError):
    """A cell that cannot be read; the message is Chinese and names the value."""


def normalize_header(value) -> str:
    """'  公民身份号码（必填）' -> '公民身份号码'; brackets, notes, spaces and '*' dropped."""
    text = _MARKS_RE.sub("", normalize_text(value))
    bare = text.strip(_BRACKETS)
    if bare in _KEY_OF_HEADER or bare in _HEADER_ALIASES:
        return _HEADER_ALIASES.get(bare, bare)
    text = _NOTE_RE.sub("", text).strip(_BRACKETS)
    return _HEADER_ALIASES.get(text, text)


@dataclass(frozen=True)
class HeaderSet:
    """The columns a sheet may name: key -> standard header, other names people write, the required keys.

    The roster's (``ROSTER_HEADERS``) and the dues import's are both read by ``match_headers``
    and found by the one header finder, ``sheets.find_header_row``.
    """

    headers: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # Required unless the sheet has the column standing in for it: key -> its stand-in's key.
    required_unless: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _key_of(self) -> dict[str, str]:
        return {header: key for key, header in self.headers.items()}

    def key_of(self, cell) -> str | None:
        header = normalize_header(cell)
        return self._key_of.get(self.aliases.get(header, header))


# A sheet names 职业类别 and 党员状况, or (an older sheet) 人员类别 in their place.
_STANDS_IN = {"occupation": LEGACY_COLUMN.key, "situation": LEGACY_COLUMN.key}
ROSTER_HEADERS = HeaderSet(
    {c.key: c.header for c in (*COLUMNS, LEGACY_COLUMN)},
    required=tuple(key for key in KEYS if key not in _STANDS_IN),
    required_unless=_STANDS_IN,
)


@dataclass
class HeaderMatch:
    positions: dict[str, int]  # column key -> index in the row
    missing: list[str]  # headers of required columns not found
    repeated: list[str]  # headers found more than once (the first is kept)

    @property
    def score(self) -> int:
        return len(self.positions)


def match_headers(cells: Sequence, columns: HeaderSet = ROSTER_HEADERS) -> HeaderMatch:
    positions: dict[str, int] = {}
    repeated: list[str] = []
    for index, cell in enumerate(cells):
        key = columns.key_of(cell)
        if key is None:
            continue
        if key in positions:
            repeated.append(columns.headers[key])
        else:
            positions[key] = index
    missing = [columns.headers[key] for key in columns.required if key not in positions]
    missing += [
        columns.headers[key]
        for key, stand_in in columns.required_unless.items()
        if key not in positions and stand_in not in positions
    ]
    return HeaderMatch(positions, missing, repeated)


def is_blank_row(cells: Sequence) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


# Cell readers -------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_HINT = "请写成2001-07-01的形式"


def read_text(value) -> str:
    if value is None:
        return ""
    if type(value) is str and value.isascii():  # NFKC changes nothing in ASCII
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(value)


def read_date(value) -> datetime.date | None:
    """An Excel date, or text such as 2001-07-01, 2001/7/1, 2001.07.01, 2001年7月1日, 20010701."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 0 < value < 100000:  # an Excel serial number in a cell without a date format
            return from_excel(value).date()
        value = str(int(value))
    text = normalize_text(value)
    if not text:
        return None
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if match is None:
        raise CellError(f"无法识别的日期“{text}”，{_HINT}")
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(f"日期“{text}”不存在") from None


def read_id_number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_id_number(value)


def read_phone(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_phone(value)


def read_code(value) -> str:
    return read_text(value).replace(" ", "")


def _choices(enum, aliases: dict[str, str]) -> dict[str, str]:
    table = {label: value for value, label in source_choices(enum)}
    table.update({value: value for value in enum.values})
    table.update(aliases)
    return table


SEX_CHOICES = _choices(Member.Sex, {"男性": "M", "女性": "F", "m": "M", "f": "F"})
EDUCATION_CHOICES = _choices(
    Member.Education,
    {
        "研究生及以上": "postgraduate",
        "博士研究生": "postgraduate",
        "硕士研究生": "postgraduate",
        "博士": "postgraduate",
        "硕士": "postgraduate",
        "本科": "undergraduate",
        "大学": "undergraduate",
        "大专": "junior_college",
        "专科": "junior_college",
        "中技": "secondary",
        "技校": "secondary",
        "小学": "primary",
    },
)
OCCUPATION_CHOICES = _choices(
    Member.Occupation, {"退休": "retired", "离休": "retired", "下岗": "unemployed", "失业": "unemployed"}
)
SITUATION_CHOICES = _choices(Member.Situation, {"流动党员": "mobile", "失去联系": "lost_contact"})


class _LegacyCategory:
    """The values of the older 人员类别 column (before it was split into 职业类别 and 党员状况)."""

    values = ("employed", "retired", "farmer", "student", "mobile", "lost_contact", "other")
    labels = ("在职", "离退休", "农民", "学生", "流动", "失联", "其他")


LEGACY_CATEGORY_CHOICES = dict(zip(_LegacyCategory.labels, _LegacyCategory.values, strict=True)) | {
    **{v: v for v in _LegacyCategory.values},
    "退休": "retired",
    "离休": "retired",
    "流动党员": "mobile",
}


def split_legacy_category(value: str) -> tuple[str, str]:
    """An older sheet's 人员类别 as (occupation, situation): 流动 and 失联 become 其他 with that
    situation; the others keep their value as the occupation (the same mapping as migration 0006)."""
    if value in (Member.Situation.MOBILE, Member.Situation.LOST_CONTACT):
        return Member.Occupation.OTHER, value
    return value, (Member.Situation.NORMAL if value else "")


STATUS_CHOICES = _choices(Member.Status, {"正式": "full", "预备": "probationary"})


def choice_reader(enum, table: dict[str, str], header: str, labels=None):
    """A reader of a Chinese label (or a known alias) giving the stored value; '' stays ''."""
    expected = "、".join(labels if labels is not None else (label for _value, label in source_choices(enum)))

    def read(value) -> str:
        found = table.get(value) if type(value) is str else None  # the common case: an exact label
        if found is not None:
            return found
        text = read_text(value).replace(" ", "")
        if not text:
            return ""
        found = table.get(text) or table.get(text.lower())
        if found is None:
            raise CellError(f"{header}“{text}”无法识别，应为{expected}之一")
        return found

    return read


READERS = {
    "name": read_text,
    "sex": choice_reader(Member.Sex, SEX_CHOICES, "性别"),
    "ethnicity": read_text,
    "birth_date": read_date,
    "id_number": read_id_number,
    "education": choice_reader(Member.Education, EDUCATION_CHOICES, "学历"),
    "phone": read_phone,
    "branch": read_code,
    "group": read_code,
    "occupation": choice_reader(Member.Occupation, OCCUPATION_CHOICES, "职业类别"),
    "situation": choice_reader(Member.Situation, SITUATION_CHOICES, "党员状况"),
    "category": choice_reader(None, LEGACY_CATEGORY_CHOICES, "人员类别", labels=_LegacyCategory.labels),
    "status": choice_reader(Member.Status, STATUS_CHOICES, "党员状态"),
    "joined_on": read_date,
    "confirmed_on": read_date,
}


def read_row(cells: Sequence, positions: dict[str, int]) -> tuple[dict, dict[str, str]]:
    """Read one row: (values by column key, {column key: reason} for unreadable cells)."""
    values: dict = {}
    problems: dict[str, str] = {}
    width = len(cells)
    for key, index in positions.items():
        raw = cells[index] if index < width else None
        try:
            values[key] = READERS[key](raw)
        except CellError as exc:
            values[key] = None
            problems[key] = str(exc)
    return values, problems
