"""Admin: read-only views of reports, reminders and jobs (they change only through the services)."""

from django.contrib import admin

from .models import Job, Reminder, Report


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["branch", "period", "members", "meetings_held", "meetings_required", "attendance_rate", "dues_rate"]
    list_filter = ["period_kind", "period"]
    search_fields = ["branch__name", "branch__code"]
    raw_id_fields = ["branch"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["user", "day", "kind", "count", "emailed_at"]
    list_filter = ["day", "kind"]
    raw_id_fields = ["user"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["kind", "branch", "status", "progress_done", "progress_total", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["branch", "created_by"]
