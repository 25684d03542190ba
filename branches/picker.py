"""The branch picker: choosing an organization by its name or code, never from a list of all of them.

A city has some 2,000 organizations; a ``<select>`` of every one made the activity and member forms
200 KB and half a second (issue 15). A picker is a plain text input that takes a code or an exact
name, checked on the server against the user's scope, so it works without script; with script
(static/js/branch_picker.js) typing shows up to ``SEARCH_LIMIT`` matches from ``search`` (the view
``branches:search``), and choosing one fills in its code.

``Scope`` says which branches a field accepts: those where the user holds a permission, of some
kinds, not dissolved. The field and the search view build their querysets from the same scope, so
what the list offers is exactly what the form accepts. A code outside the scope, unknown or not,
is the same form error: the page says nothing of what lies outside the user's subtree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import QueryDict
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from . import access
from .models import Branch
from .params import bad_request

SEARCH_LIMIT = 20  # matches the picker offers at once
CHILDREN_LIMIT = 100  # a branch's groups or households, for a select
MAX_TEXT = 100  # a name is at most 100 characters (Branch.name)
PERMS = {"view": access.VIEW, "manage": access.MANAGE, "review": access.REVIEW}


@dataclass(frozen=True)
class Scope:
    """Which branches a picker accepts: ``perm`` held there (reading: any grant), of ``kinds``
    (all kinds: empty), and, if ``current``, not dissolved."""

    perm: str = access.VIEW
    kinds: tuple[str, ...] = ()
    current: bool = False

    def queryset(self, user) -> QuerySet[Branch]:
        if self.perm == access.VIEW:
            branches = access.visible_branches(user)
        else:
            branches = Branch.objects.filter(access.perm_scope_q(user, self.perm, "path"))
        if self.kinds:
            branches = branches.filter(kind__in=self.kinds)
        return branches.current() if self.current else branches

    def query(self) -> dict[str, str]:
        """The scope as the search view's query string (``from_query`` reads it back)."""
        names = {perm: name for name, perm in PERMS.items()}
        params = {"perm": names[self.perm]}
        if self.kinds:
            params["kind"] = ",".join(self.kinds)
        if self.current:
            params["current"] = "1"
        return params

    def search_url(self) -> str:
        """Where the picker's script asks for matches (a query string always follows: the script adds ``&q=``).
        An app whose scope is not the user's grants (service's communities) gives its own view."""
        return f"{reverse('branches:search')}?{urlencode(self.query())}"

    @classmethod
    def from_query(cls, query: QueryDict) -> Scope:
        """The scope of a search request; a value out of shape answers 400 (a page's script sent it)."""
        perm = PERMS.get(query.get("perm") or "view")
        if perm is None:
            raise bad_request("perm")
        kinds = tuple(k for k in (query.get("kind") or "").split(",") if k)
        if any(kind not in Branch.Kind.values for kind in kinds):
            raise bad_request("kind")
        return cls(perm=perm, kinds=kinds, current=query.get("current") == "1")


VIEW_SCOPE = Scope()
MANAGE_SCOPE = Scope(perm=access.MANAGE, current=True)


def search(user, scope: Scope, text: str, *, limit: int = SEARCH_LIMIT) -> list[Branch]:
    """Branches of ``scope`` whose name or code contains ``text``: the exact code first, then names
    that begin with it, then the rest, higher organizations before lower ones (one query)."""
    text = text.strip()[:MAX_TEXT]
    if not text:
        return []
    rank = Case(
        When(code=text, then=Value(0)),
        When(name__startswith=text, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    found = scope.queryset(user).filter(Q(name__icontains=text) | Q(code__icontains=text))
    return list(found.annotate(rank=rank).order_by("rank", "depth", "path")[:limit])


def children(user, scope: Scope, parent_code: str, *, limit: int = CHILDREN_LIMIT) -> list[Branch]:
    """Branches of ``scope`` below the branch ``parent_code`` (e.g. its groups); none if ``user`` may
    not see that branch (two queries)."""
    code = parent_code.strip()[:MAX_TEXT]
    parent = access.visible_branches(user).filter(code=code).first() if code else None
    if parent is None:
        return []
    below = scope.queryset(user).filter(path__startswith=parent.path).exclude(pk=parent.pk)
    return list(below.order_by("path")[:limit])


def path_labels(user, branches: Iterable[Branch]) -> dict[str, str]:
    """Each branch's place in the tree as people read it: the names of its ancestors that ``user`` may
    see, and its own (``东村党总支 › 东村第一网格党支部``); one query for all of them."""
    branches = list(branches)
    paths = {p for b in branches for p in b.ancestor_paths()[:-1] if access.holds(user, access.VIEW, p)}
    names = dict(Branch.objects.filter(path__in=paths).values_list("path", "name")) if paths else {}
    return {b.code: " › ".join([*(names[p] for p in b.ancestor_paths()[:-1] if p in names), b.name]) for b in branches}


class BranchPicker(forms.TextInput):
    """A text input for a code or a name; the script turns it into a search box with a short list.

    ``chosen`` (the branch the field last accepted, or the form's initial branch) is shown beside it
    by name, at no query.
    """

    def __init__(self, attrs=None):
        defaults = {"autocomplete": "off", "spellcheck": "false", "placeholder": _("输入名称或编码搜索")}
        super().__init__({**defaults, **(attrs or {})})
        self.scope = VIEW_SCOPE
        self.chosen: Branch | None = None

    def format_value(self, value):
        if isinstance(value, Branch):
            self.chosen = value
            return value.code
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        code = self.format_value(value)
        attrs = {
            **(attrs or {}),
            "data-search": self.scope.search_url(),
            "data-empty": _("没有找到匹配的党组织"),
            "data-dissolved": _("已撤销"),
        }
        chosen_id = f"{attrs.get('id') or name}-chosen"
        attrs["aria-describedby"] = chosen_id
        chosen = ""
        if self.chosen is not None and code in (self.chosen.code, self.chosen.name):  # a name typed shows its code
            code, chosen = self.chosen.code, self.chosen.name
        return format_html(
            '<span class="branch-picker">{}<span class="picker-chosen" id="{}" aria-live="polite">{}</span>'
            '<script src="{}" defer></script></span>',
            super().render(name, code, attrs, renderer),
            chosen_id,
            chosen,
            static("js/branch_picker.js"),
        )


class BranchChoiceField(forms.Field):
    """A branch chosen with the picker: its code or its exact name, within ``scope`` for the form's user.

    The form calls ``for_user(user)``; until then the field accepts nothing. ``queryset`` may be
    narrowed further by the form (the transfer excludes the member's own branch).
    """

    widget = BranchPicker
    default_error_messages = {
        "unknown": _("找不到该党组织，或不在您的管理范围内"),
        "ambiguous": _("有多个党组织名为“%(name)s”，请从搜索结果中选择，或输入组织编码"),
    }

    def __init__(self, *, scope: Scope = VIEW_SCOPE, **kwargs):
        kwargs.setdefault("help_text", _("输入名称或组织编码"))
        super().__init__(**kwargs)
        self.scope = scope
        self.widget.scope = scope
        self.queryset: QuerySet[Branch] = Branch.objects.none()

    def for_user(self, user) -> BranchChoiceField:
        self.queryset = self.scope.queryset(user)
        return self

    def bound_data(self, data, initial):
        """A filter's query string without the field shows the form's initial branch (the page's default)."""
        return initial if data is None else data

    def prepare_value(self, value):
        return value  # a Branch stays one, so that the widget shows its name

    def to_python(self, value) -> Branch | None:
        if isinstance(value, Branch):
            return value
        text = (value or "").strip()
        if not text:
            return None
        if len(text) > MAX_TEXT:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        branch = self.queryset.filter(code=text).first()
        if branch is None:
            named = list(self.queryset.filter(name=text)[:2])
            if len(named) > 1:
                raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"name": text})
            branch = named[0] if named else None
        if branch is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        self.widget.chosen = branch
        return branch


class BranchChildSelect(forms.Select):
    """The select of a branch's groups (or households): the script refills it from the search view's
    ``under=`` list when the picker whose input has the id ``parent`` changes."""

    def __init__(self, *, parent: str, scope: Scope, attrs=None):
        super().__init__(attrs)
        self.parent, self.scope = parent, scope

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        url = f"{reverse('branches:search')}?{urlencode({**self.scope.query(), 'under': ''})}"
        context["widget"]["attrs"].update({"data-parent": self.parent, "data-children": url})
        return context


class BranchChildField(forms.ModelChoiceField):
    """A group or household of the branch chosen in the form's picker field ``parent``, by code: a select
    of that branch's few children (the form sets ``queryset`` once it knows the branch)."""

    def __init__(self, *, parent: str, kind: str, **kwargs):
        scope = Scope(perm=access.MANAGE, kinds=(kind,), current=True)
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("widget", BranchChildSelect(parent=f"id_{parent}", scope=scope))
        super().__init__(queryset=Branch.objects.none(), **kwargs)

    def label_from_instance(self, obj: Branch) -> str:
        return f"{obj.name}（{obj.code}）"
