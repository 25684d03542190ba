"""Admin: a read-mostly view for support staff; changes go through the services and pages."""

from django.contrib import admin

from .models import Activity, ActivityFile, Attendance, LeaveRequest, MeetingRule, Resolution


class ResolutionInline(admin.TabularInline):
    model = Resolution
    extra = 0
    readonly_fields = ["created_by", "created_at"]


class ActivityFileInline(admin.TabularInline):
    model = ActivityFile
    extra = 0
    readonly_fields = ["kind", "file", "original_name", "size", "uploaded_by", "uploaded_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # uploads are type- and size-checked by activity_attach_file


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "branch", "kind", "starts_at", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "branch__name", "branch__code"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["branch", "host", "recorder"]
    list_select_related = ["branch"]
    readonly_fields = [
        "status",
        "held_at",
        "held_by",
        "cancelled_at",
        "cancelled_by",
        "created_by",
        "updated_by",
        "created_at",
        "updated_at",
    ]
    inlines = [ResolutionInline, ActivityFileInline]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["activity", "member", "status", "expected", "method", "checked_in_at", "hours"]
    list_filter = ["status", "method", "expected"]
    search_fields = ["member__name", "activity__title"]
    raw_id_fields = ["activity", "member", "recorded_by"]
    list_select_related = ["activity", "member"]
    readonly_fields = ["nonce", "checked_in_at", "created_at", "updated_at"]


@admin.register(LeaveRequest)
class LeaveRequestAdmin(admin.ModelAdmin):
    list_display = ["member", "activity", "status", "requested_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["member__name", "activity__title"]
    raw_id_fields = ["activity", "member", "requested_by", "decided_by"]
    list_select_related = ["activity", "member", "decided_by"]


@admin.register(MeetingRule)
class MeetingRuleAdmin(admin.ModelAdmin):
    list_display = ["branch", "kind", "period", "min_count", "effective_from"]
    list_filter = ["kind", "period"]
    raw_id_fields = ["branch", "created_by"]
    list_select_related = ["branch"]
