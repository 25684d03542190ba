"""``MemberResource``: the roster's one django-import-export resource.

Its fields are the roster's Excel columns (``import_columns.COLUMNS``), read and written by
the same cell readers as the bulk importer, and its rows are checked by the same
``RowChecker``. The admin imports and exports through it; the site's import page and the
management commands use ``members.roster_io.importing.import_members``, which reads the columns,
checks and writes from the same definitions in bulk. Exported ID numbers and phones are
masked, and the birth date replaced by the age, unless the user holds ``view_sensitive`` on the
member's branch (an export is an explicit act, audited: ``members.roster_io.exporting``).
"""

from __future__ import annotations

import tablib
from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets

from branches import access
from branches.excel import safe_row
from core.labels import source_choices
from core.masking import mask_phone

from .. import crypto, selectors
from ..models import Member
from .checks import CheckedRow, Existing, RowChecker, RowError
from .columns import (
    COLUMNS,
    HEADER_OF,
    KEYS,
    LEGACY_COLUMN,
    READERS,
    ROSTER_HEADERS,
    CellError,
    is_blank_row,
    match_headers,
    read_code,
)
from .sheets import HEADER_SEARCH_ROWS, ImportFileError, find_header_row


def _label(enum):
    labels = dict(source_choices(enum))
    return lambda value: labels.get(value, value or "")


def _code(branch) -> str:
    return branch.code if branch is not None else ""


_RENDER = {
    "sex": _label(Member.Sex),
    "education": _label(Member.Education),
    "occupation": _label(Member.Occupation),
    "situation": _label(Member.Situation),
    "status": _label(Member.Status),
    "branch": _code,
    "group": _code,
}


class CellWidget(widgets.Widget):
    """Reads a cell as the bulk importer does; renders labels, codes and real dates."""

    def __init__(self, key: str):
        super().__init__(coerce_to_string=False)
        self.key = key

    def clean(self, value, row=None, **kwargs):
        return READERS[self.key](value)

    def render(self, value, obj=None, **kwargs):
        render = _RENDER.get(self.key)
        if render is not None:
            return render(value)
        return "" if value is None else value


def _field(key: str) -> fields.Field:
    attribute = None if key == "id_number" else key
    return fields.Field(attribute=attribute, column_name=HEADER_OF[key], widget=CellWidget(key))


class MemberResource(resources.ModelResource):
    name = _field("name")
    sex = _field("sex")
    ethnicity = _field("ethnicity")
    birth_date = _field("birth_date")
    id_number = _field("id_number")
    education = _field("education")
    phone = _field("phone")
    branch = _field("branch")
    group = _field("group")
    occupation = _field("occupation")
    situation = _field("situation")
    status = _field("status")
    joined_on = _field("joined_on")
    confirmed_on = _field("confirmed_on")

    class Meta:
        model = Member
        fields = KEYS
        import_order = KEYS
        export_order = KEYS
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        """``user`` None: the server's administrator (every branch, full numbers)."""
        super().__init__(**kwargs)
        self.user = user
        self.checker = RowChecker(user=user, today=timezone.localdate())
        self.row_numbers: list[int] = []
        self.file_errors: list[RowError] = []
        self.row_errors: list[RowError] = []
        self.checked: list[CheckedRow] = []
        self._seen: dict[str, int] = {}
        self.rows_in_full = 0  # exported rows whose ID number was not masked

    # Export ----------------------------------------------------------------------------------

    def shows_sensitive(self, member: Member) -> bool:
        return self.user is None or access.can_view_sensitive(self.user, member.branch)

    # The rule of ``Member.id_number_for(user, explicit=True)``: an export is an explicit act.
    def dehydrate_id_number(self, member: Member) -> str:
        if self.shows_sensitive(member):
            self.rows_in_full += 1
            return member.id_number
        return member.id_number_masked

    def dehydrate_phone(self, member: Member) -> str:
        return member.phone if self.shows_sensitive(member) else mask_phone(member.phone)

    def dehydrate_birth_date(self, member: Member):
        """The date with ``view_sensitive``; otherwise the age ("63岁"), as the pages show it."""
        if self.shows_sensitive(member):
            return member.birth_date
        return f"{selectors.age_on(member.birth_date, timezone.localdate())}岁"

    def after_export(self, queryset, dataset, **kwargs):
        """The admin's export is audited as the site's (``exporting.export_members``) is."""
        from .exporting import export_record

        export_record(by=self.user, branch=None, rows=len(dataset), full=self.rows_in_full)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        """One exported row; text that a spreadsheet would run as a formula is escaped (``branches.excel``)."""
        return safe_row(super().export_resource(instance, selected_fields, **kwargs))

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("branch", "group")

    # Import ----------------------------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """All or nothing: one refused row rolls the whole import back."""
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run, raise_errors, use_transactions, **kwargs)

    def before_import(self, dataset, **kwargs):
        """Find the header row, name the columns as the roster does, drop blank rows, load the branches."""
        header_row = _promote_header_row(dataset)
        match = match_headers(dataset.headers)
        self.file_errors = [RowError(header_row, header, f"缺少“{header}”列") for header in match.missing]
        if match.repeated:
            self.file_errors.append(RowError(header_row, None, f"列重复：{'、'.join(match.repeated)}"))
        if self.file_errors:
            del dataset[0 : len(dataset)]
            raise ImportFileError("；".join(str(e) for e in self.file_errors), code="columns")
        headers = list(dataset.headers)
        for key, index in match.positions.items():
            headers[index] = HEADER_OF[key]
        dataset.headers = headers
        self.row_numbers = [header_row + 1 + i for i in range(len(dataset))]
        for i in reversed(range(len(dataset))):
            if is_blank_row(dataset[i]):
                del dataset[i]
                del self.row_numbers[i]
        codes = [read_code(v) for key in ("branch", "group") for v in dataset[HEADER_OF[key]]]
        self.checker.load_branches(codes)

    def get_instance(self, instance_loader, row):
        """The member with this row's ID number: one query per row (the library's way)."""
        number = READERS["id_number"](row.get(HEADER_OF["id_number"]))
        return Member.objects.select_related("branch").filter(id_number_digest=crypto.digest(number)).first()

    def import_instance(self, instance, row, **kwargs):
        number = self.row_numbers[kwargs["row_number"] - 1]
        checked, errors = self._check(number, row, instance)
        if errors:
            self.row_errors.extend(errors)
            by_column: dict[str, list[str]] = {}
            for error in errors:
                by_column.setdefault(error.column or "", []).append(f"第{error.row}行：{error.message}")
            raise ValidationError(by_column)
        from ..services_bulk import member_values

        if instance.pk is None:
            instance.set_id_number(checked.data.id_number)
        for name, value in member_values(checked).items():
            setattr(instance, name, value)
        instance._import_row = checked
        self.checked.append(checked)

    def _check(self, number: int, row, instance: Member) -> tuple[CheckedRow | None, list[RowError]]:
        values, unreadable = {}, {}
        for column in (*COLUMNS, LEGACY_COLUMN):
            if column.header not in row:  # 职业类别 and 党员状况, or an older sheet's 人员类别
                continue
            try:
                values[column.key] = READERS[column.key](row[column.header])
            except CellError as exc:
                values[column.key], unreadable[column.key] = None, str(exc)
        checked, errors = self.checker.check(number, values, unreadable)
        if checked is None:
            return None, errors
        first = self._seen.setdefault(checked.digest, number)
        if first != number:
            return None, [
                RowError(number, HEADER_OF["id_number"], f"公民身份号码在文件中重复出现（与第{first}行相同）")
            ]
        existing = Existing.of(instance) if instance.pk is not None else None
        return checked, self.checker.compare(checked, existing)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        checked = getattr(instance, "_import_row", None)
        return checked is not None and checked.existing is not None and not checked.changes

    def after_save_instance(self, instance, row, **kwargs):
        from ..models import MemberEvent
        from ..services import member_transfer
        from ..services_bulk import row_events

        checked: CheckedRow = instance._import_row
        by_id = getattr(self.user, "pk", None)
        today = self.checker.today
        for event in row_events(checked, member_id=instance.pk, by_id=by_id, today=today, note="Excel导入"):
            MemberEvent.objects.create(**event)
        if checked.is_transfer:
            member_transfer(
                member=instance, to_branch=checked.data.branch, group=checked.data.group, on=today, by=self.user
            )


def _promote_header_row(dataset: tablib.Dataset) -> int:
    """Make the header row (maybe below a title line) the dataset's headers; its Excel row number.

    Found by the site's one header finder (``sheets.find_header_row``) over the top rows."""
    candidates = [dataset.headers or []] + [dataset[i] for i in range(min(HEADER_SEARCH_ROWS - 1, len(dataset)))]
    try:
        number, _ = find_header_row(enumerate(candidates, start=1), ROSTER_HEADERS)
    except ImportFileError:  # nothing but blank rows: the missing columns are reported on row 1
        return 1
    if number > 1:
        dataset.headers = ["" if cell is None else str(cell) for cell in candidates[number - 1]]
        del dataset[0 : number - 1]
    return number
