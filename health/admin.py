"""Admin: read-mostly; scores change only through the services (compute, adjust, review)."""

from django import forms
from django.contrib import admin

from .models import HealthCheck, HealthCheckEvent, Rubric
from .rubric import validate


class RubricForm(forms.ModelForm):
    class Meta:
        model = Rubric
        fields = ["branch", "year", "name", "config"]

    def clean_config(self):
        config = self.cleaned_data["config"]
        problems = validate(config) if isinstance(config, dict) else ["评分细则格式不正确"]
        if problems:
            raise forms.ValidationError("；".join(problems))
        return config


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    form = RubricForm
    list_display = ["name", "branch", "year", "updated_by", "updated_at"]
    list_filter = ["year"]
    raw_id_fields = ["branch"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class HealthCheckEventInline(admin.TabularInline):
    model = HealthCheckEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "by", "at", "detail", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HealthCheck)
class HealthCheckAdmin(admin.ModelAdmin):
    list_display = ["member", "branch", "period", "total", "grade", "status"]
    list_filter = ["period", "status", "grade"]
    search_fields = ["member__name", "branch__name", "branch__code"]
    list_select_related = ["member", "branch"]
    raw_id_fields = ["member", "branch", "rubric"]
    inlines = [HealthCheckEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
