"""Forms of the branch management pages. They only collect input; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

from . import access
from .models import Branch
from .picker import MANAGE_SCOPE, BranchChoiceField, Scope

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: under its field when the form has one."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


class BranchCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"))
    code = forms.CharField(label=_("组织编码"), max_length=32)
    grid_name = forms.CharField(label=_("网格"), max_length=100, required=False)
    established_on = forms.DateField(label=_("成立日期"), required=False, widget=_DATE)

    def __init__(self, *args, parent: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Branch.ALLOWED_CHILDREN[parent.kind]
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in Branch.Kind if kind in allowed]


class BranchRenameForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    grid_name = forms.CharField(label=_("网格"), max_length=100, required=False)


class BranchMoveForm(forms.Form):
    """The new parent, with the picker: any current branch the user manages (the service says why a kind
    cannot hold this one); the search lists only those of a kind that can (``ALLOWED_CHILDREN``)."""

    new_parent = BranchChoiceField(label=_("新的上级组织"), scope=MANAGE_SCOPE)

    def __init__(self, *args, user, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["new_parent"].for_user(user)
        parents = tuple(kind for kind, children in Branch.ALLOWED_CHILDREN.items() if branch.kind in children)
        field.widget.scope = Scope(perm=access.MANAGE, kinds=parents, current=True)


class BranchDissolveForm(forms.Form):
    on = forms.DateField(label=_("撤销日期"), widget=_DATE)

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("撤销日期不能晚于今天"))
        return on
