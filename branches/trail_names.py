"""The names the audit trail shows instead of ids, read in one query per page (branches/audit.py).

A page of the trail names actors, members, branches and activities by their ids as logged;
``Names`` collects them while the page's entries are built and reads them all at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.utils.translation import gettext as _

# A name longer than this is cut on the page (a resolution's text).
NAME_CHARS = 60


@dataclass(frozen=True)
class Ref:
    """An object named on the page by its id until ``Names.load`` reads its name."""

    label: str  # the model's label_lower
    pk: str


class Names:
    """The names of the objects a page of the trail refers to, read by one UNION query.

    One SELECT per model (members, branches, activities, users...) joined by UNION ALL: one
    query whatever the number of entries and of models; none when nothing is named.
    """

    def __init__(self) -> None:
        self._wanted: dict[type, set[int]] = {}
        self._found: dict[tuple[str, str], str] = {}

    def ref(self, model, pk) -> Ref | str:
        try:
            key = int(str(pk))
        except (TypeError, ValueError):
            return "—" if pk in (None, "None") else str(pk)
        if model is None or name_expression(model) is None:
            return _("编号%(pk)s") % {"pk": key}
        self._wanted.setdefault(model, set()).add(key)
        return Ref(model._meta.label_lower, str(key))

    def user(self, pk) -> Ref | str:
        return _("系统") if pk is None else self.ref(get_user_model(), pk)

    def member(self, pk) -> Ref | str:
        return self.ref(person_model(), pk)

    def load(self) -> None:
        queries = [
            model._base_manager.filter(pk__in=pks)
            .order_by()
            .values_list(
                Value(model._meta.label_lower, output_field=TextField()),
                Cast("pk", output_field=TextField()),
                Cast(name_expression(model), output_field=TextField()),
            )
            for model, pks in self._wanted.items()
        ]
        if not queries:
            return
        rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        self._found = {(label, pk): name for label, pk, name in rows}

    def text(self, value) -> str:
        if not isinstance(value, Ref):
            return str(value)
        name = self._found.get((value.label, value.pk))
        if name is None:
            return _("已删除（编号%(pk)s）") % {"pk": value.pk}
        return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


@functools.cache
def _person_relation():
    """The user's one-to-one relation to a person with a name (the member), or None.

    Found through the user model rather than imported: branches sits left of members.
    """
    for rel in get_user_model()._meta.related_objects:
        if rel.one_to_one and has_field(rel.related_model, "name"):
            return rel
    return None


def person_model():
    """The model of a person with an account (the member)."""
    rel = _person_relation()
    return rel.related_model if rel is not None else None


def name_expression(model):
    """How a row of ``model`` is named: a user by their member's name, else full name, else log-in name."""
    user_model = get_user_model()
    if model is user_model:
        rel = _person_relation()
        lookups = [f"{rel.name}__name"] if rel is not None else []
        full_name = NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value(""))
        return Coalesce(*lookups, full_name, user_model.USERNAME_FIELD)
    for field in ("name", "title", "text"):
        if has_field(model, field):
            return F(field)
    return None


def has_field(model, name: str) -> bool:
    try:
        return model._meta.get_field(name).concrete
    except FieldDoesNotExist:
        return False
