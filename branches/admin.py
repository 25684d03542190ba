"""Admin of the organization tree (treebeard), keeping the tree's rules.

Placing a node (the form and the drag-and-drop move) is checked against the
allowed-children rule of the services. Branches are never deleted and dissolution is
done through the site's page, which checks children and members first.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseBadRequest
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from .errors import BranchError
from .models import Branch
from .services import _check_child_kind


def _placement_error(branch: Branch, kind: str, parent: Branch | None) -> str | None:
    """Why ``branch`` (of ``kind``) may not sit under ``parent``, or None."""
    if parent is not None and branch.pk and parent.path.startswith(branch.path):
        return "不能把组织移到它自己或它的下级组织之下"
    try:
        _check_child_kind(parent, kind)
    except BranchError as exc:
        return exc.message
    return None


class BranchAdminForm(MoveNodeForm):
    def clean(self):
        cleaned = super().clean()
        kind, ref = cleaned.get("kind"), cleaned.get("treebeard_ref_node")
        if not kind or not cleaned.get("treebeard_position"):
            return cleaned
        if ref is None:
            parent = None  # treebeard makes it a root
        elif cleaned["treebeard_position"] in ("first-child", "sorted-child"):
            parent = ref
        else:
            parent = Branch.objects.get_parent(ref)
        error = _placement_error(self.instance, kind, parent) or self._children_error(kind)
        if error:
            raise forms.ValidationError(error)
        return cleaned

    def _children_error(self, kind: str) -> str | None:
        if not self.instance.pk:
            return None
        kinds = set(Branch.objects.get_children(self.instance).values_list("kind", flat=True))
        if kinds - Branch.ALLOWED_CHILDREN[kind]:
            return f"改为{Branch.Kind(kind).label}后，现有的下级组织不符合设立规则，请先调整下级组织"
        return None


@admin.register(Branch)
class BranchAdmin(TreeAdmin):
    form = movenodeform_factory(Branch, form=BranchAdminForm, exclude=("dissolved_on",))
    list_display = ("name", "code", "kind", "grid_name", "dissolved_on")
    list_filter = ("kind", ("dissolved_on", admin.EmptyFieldListFilter))
    search_fields = ("name", "code", "grid_name")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # dissolving keeps history; nothing is deleted

    def move_node(self, request):
        ids = [request.POST.get("node", ""), request.POST.get("target", "")]
        found = {b.pk: b for b in Branch.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])}
        node, target = (found.get(int(i)) if i.isdigit() else None for i in ids)
        if node is not None and target is not None:
            parent = target if request.POST.get("relation") == "child" else Branch.objects.get_parent(target)
            error = _placement_error(node, node.kind, parent)
            if error:
                messages.error(request, error)
                return HttpResponseBadRequest(error)
        return super().move_node(request)
