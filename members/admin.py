"""Admin of members, positions and their history.

Members import and export through ``MemberResource`` (the roster's one resource: same
columns and checks as the site's import page). ID numbers are shown masked only; the
encrypted column and its digest are never shown. Members are never deleted (离册 keeps
the record) and are added through the roster or an import, so that every rule applies.
Only superusers reach the admin (``partysite/admin_site.py``), so its lists are not scoped.
"""

from __future__ import annotations

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX

from .models import Member, MemberEvent, Position
from .roster_io.resources import MemberResource


@admin.register(Member)
class MemberAdmin(ImportExportModelAdmin):
    resource_classes = [MemberResource]
    import_formats = [XLSX]
    export_formats = [XLSX]
    list_display = ("name", "id_number_masked", "branch", "group", "status", "occupation", "situation", "is_active")
    list_filter = ("status", "occupation", "situation", "is_active")
    list_select_related = ("branch", "group")
    # Not by phone or ID number: the admin's search is a GET, and a number typed there would land
    # in access logs and browser history. The roster's search (a POST) finds members by number.
    search_fields = ("name", "branch__code")
    exclude = ("id_number_encrypted", "id_number_digest")
    readonly_fields = ("id_number_masked",)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("members.change_member")

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("members.view_member")

    # Members are added and edited through the roster pages or an import, where every rule
    # is checked and the history written; 离册 keeps the record, so nothing is deleted.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("member", "branch", "title", "started_on", "ended_on")
    list_filter = ("title", ("ended_on", admin.EmptyFieldListFilter))
    list_select_related = ("member", "branch")
    search_fields = ("member__name", "branch__name", "branch__code")
    raw_id_fields = ("member", "branch")

    def has_add_permission(self, request) -> bool:
        return False  # appointing goes through the service, which also grants permissions

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MemberEvent)
class MemberEventAdmin(admin.ModelAdmin):
    list_display = ("member", "kind", "occurred_on", "from_branch", "to_branch", "by", "at")
    list_filter = ("kind",)
    list_select_related = ("member", "from_branch", "to_branch", "by")
    search_fields = ("member__name", "detail")
    date_hierarchy = "occurred_on"

    def has_add_permission(self, request) -> bool:
        return False  # history is written by the services

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
