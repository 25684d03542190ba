"""The site's roster import (upload, preview, confirm), its template, and the roster export.

The uploaded file is parsed once and checked in full; nothing is written. If every row
passes, the parsed rows are kept under a random name in the private storage
(``sheets.preview_keep``: not under MEDIA_ROOT, which a web server may serve; they hold
full ID numbers) and the session remembers their name and digest. Confirming loads those
rows (no second parse of the workbook), checks them again against the roster as it is now,
so a change meanwhile cannot slip in, and writes. Previews never confirmed are removed by the
daily sweep (``branches.files.private_files_sweep``).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from branches import access
from branches.files import save_failed_message
from branches.picker import BranchChoiceField

from .checks import RowError
from .columns import HEADERS
from .exporting import export_members, members_for_export, write_template
from .importing import ImportResult, import_members
from .sheets import ImportFileError, parse_file, pending_discard, pending_keep, pending_load

logger = logging.getLogger(__name__)
SESSION_KEY = "member_import_pending"
PREVIEW_ROWS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("党员花名册（.xlsx）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件大小超过上限（%(mb)s MB），请分批导入") % {"mb": f"{limit / 1024 / 1024:g}"}
            )
        return upload


class ExportForm(forms.Form):
    branch = BranchChoiceField(
        label=gettext_lazy("党组织"), required=False, help_text=gettext_lazy("留空导出全部可查看的党员")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].for_user(user)


def _require_manager(request) -> None:
    access.require_manager(request.user, _("您没有导入党员的权限"))


def _page(request, *, form, result: ImportResult | None = None, pending: dict | None = None, export_form=None):
    context = {
        "form": form,
        "export_form": export_form or ExportForm(user=request.user),
        "result": result,
        "pending": pending,
        "headers": HEADERS,
        "preview_rows": PREVIEW_ROWS,
    }
    return render(request, "members/import.html", context)


@access.staff_required
def import_page(request):
    """Upload a roster: every row is checked, nothing is written; no error: a preview to confirm."""
    _require_manager(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, form=form)
    upload = form.cleaned_data["file"]
    result = ImportResult(dry_run=True)
    try:
        parsed = parse_file(upload, name=Path(upload.name).name)
    except ImportFileError as exc:
        result.errors.append(RowError(None, None, exc.message))
        return _page(request, form=UploadForm(), result=result)
    result = import_members(parsed, user=request.user, dry_run=True)
    pending = None
    if result.ok:
        try:
            pending = pending_keep(request.session, SESSION_KEY, parsed)
        except OSError:  # the preview could not be stored (a full disk): nothing partial is left
            logger.exception("roster import preview not stored")
            messages.error(request, save_failed_message())
    return _page(request, form=UploadForm(), result=result, pending=pending)


@access.staff_required
@require_POST
def import_confirm(request):
    """Write the previewed rows: checked again against the roster (not parsed again); all rows or none."""
    _require_manager(request)
    pending, parsed = pending_load(request.session, SESSION_KEY, request.POST.get("token"))
    if parsed is None:
        messages.error(request, _("没有待确认的导入，请重新上传文件"))
        return redirect("members:import")
    try:
        result = import_members(parsed, user=request.user, file_name=pending["filename"])
    except DatabaseError:  # rolled back: nothing written; a message, not a 500
        logger.exception("roster import not written")
        pending_discard(request.session, SESSION_KEY)
        messages.error(request, _("数据库暂时无法写入，未导入任何数据，请稍后重新上传文件"))
        return redirect("members:import")
    pending_discard(request.session, SESSION_KEY)
    if not result.ok:
        return _page(request, form=UploadForm(), result=result)
    messages.success(
        request,
        _("导入完成：新增%(new)d人，修改%(changed)d人，未变%(unchanged)d人")
        % {"new": result.new, "changed": result.changed, "unchanged": result.unchanged},
    )
    return redirect("members:import")


@access.staff_required
@require_GET
def import_template(request):
    """The empty roster with the import's headers."""
    out = io.BytesIO()
    write_template(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename="党员花名册导入模板.xlsx", content_type=XLSX)


@access.staff_required
@require_GET
def roster_export(request):
    """The roster the user may read (optionally one subtree); masked without ``view_sensitive``. More
    than ``ROSTER_EXPORT_DIRECT_MAX`` members: a page offering the export as a background job instead.

    A branch not found is an error on the export form of the import page (a manager's), or a message on
    the roster for staff who do not import."""
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        if access.manages_any(request.user):
            return _page(request, form=UploadForm(), export_form=form)
        messages.error(request, form.errors["branch"][0])
        return redirect("members:list")
    branch = form.cleaned_data["branch"]
    count = members_for_export(user=request.user, branch=branch).count()
    if count > settings.ROSTER_EXPORT_DIRECT_MAX:  # a city's roster: a background job (reports.jobs)
        roots = [branch] if branch is not None else list(access.top_branches(request.user))
        context = {"branch": branch, "roots": roots, "count": count, "direct_max": settings.ROSTER_EXPORT_DIRECT_MAX}
        return render(request, "members/roster_export_job.html", context)
    out = io.BytesIO()
    export_members(out, user=request.user, branch=branch)
    out.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"党员花名册-{branch.code if branch else '全部'}-{stamp}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
