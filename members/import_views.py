"""The site's roster import (upload, preview, confirm), its template, and the roster export.

The uploaded file is checked in full and nothing is written; if every row passes, the file is
kept under a random name in a private directory (not under MEDIA_ROOT, which a web server
may serve: the file holds full ID numbers) and the session remembers it. Confirming
re-reads and re-checks the kept file before writing, so a change meanwhile cannot slip in.
"""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from branches import access

from .exporting import export_members, write_template
from .import_columns import HEADERS
from .importing import ImportResult, import_members

SESSION_KEY = "member_import_pending"
PREVIEW_ROWS = 200
STALE_SECONDS = 24 * 3600
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


def upload_dir() -> Path:
    return Path(getattr(settings, "IMPORT_UPLOAD_DIR", Path(settings.VAR_DIR) / "imports"))


def _require_manager(request) -> None:
    if not access.has_perm_anywhere(request.user, access.MANAGE):
        raise PermissionDenied(_("您没有导入党员的权限"))


def _pending_path(token: str) -> Path | None:
    if len(token) != 32 or not all(c in "0123456789abcdef" for c in token):
        return None
    path = upload_dir() / f"{token}.xlsx"
    return path if path.is_file() else None


def _discard_pending(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    path = _pending_path(pending["token"]) if pending else None
    if path is not None:
        path.unlink(missing_ok=True)


def _remove_stale_files() -> None:
    """Files of previews never confirmed are removed after a day."""
    cutoff = time.time() - STALE_SECONDS
    for path in upload_dir().glob("*.xlsx"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _keep_pending(request, upload) -> dict:
    _discard_pending(request)
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_files()
    token = secrets.token_hex(16)
    upload.seek(0)
    with open(directory / f"{token}.xlsx", "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    pending = {"token": token, "filename": Path(upload.name).name}
    request.session[SESSION_KEY] = pending
    return pending


def _page(request, *, form, result: ImportResult | None = None, pending: dict | None = None):
    context = {
        "form": form,
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
    name = Path(upload.name).name
    result = import_members(upload, user=request.user, dry_run=True, file_name=name)
    pending = _keep_pending(request, upload) if result.ok else None
    return _page(request, form=UploadForm(), result=result, pending=pending)


@access.staff_required
@require_POST
def import_confirm(request):
    """Write the previewed file: re-read and re-checked; all rows or none."""
    _require_manager(request)
    pending = request.session.get(SESSION_KEY)
    path = _pending_path(pending["token"]) if pending else None
    if path is None or request.POST.get("token") != pending["token"]:
        messages.error(request, _("没有待确认的导入，请重新上传文件"))
        return redirect("members:import")
    result = import_members(path, user=request.user, file_name=pending["filename"])
    _discard_pending(request)
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
    """The roster the user may read (optionally one subtree); masked without ``view_sensitive``."""
    code = request.GET.get("branch", "").strip()
    branch = access.get_branch_or_404(request.user, code=code) if code else None
    out = io.BytesIO()
    export_members(out, user=request.user, branch=branch)
    out.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"党员花名册-{branch.code if branch else '全部'}-{stamp}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
