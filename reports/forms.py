"""The dashboard's choice of organization: a picker of what the user may read (branches/picker.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from branches.picker import BranchChoiceField


class DashboardForm(forms.Form):
    """``?branch=`` opens another organization's dashboard; one not found is an error on the field."""

    branch = BranchChoiceField(label=_("党组织"), required=False, help_text="")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].for_user(user)

    def chosen(self) -> Branch | None:
        return self.cleaned_data.get("branch") if self.is_valid() else None
