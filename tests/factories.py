"""Factories for tests: branches through the service (the tree rules hold), members with valid ID numbers."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from branches.models import Branch
from branches.services import branch_create
from members.idnumbers import make_id_number
from members.models import Member

_codes = itertools.count(1)
_sequence = itertools.count(1)


def make_branch(parent: Branch | None = None, kind: str | None = None, **fields) -> Branch:
    if kind is None:
        kind = Branch.Kind.COMMITTEE if parent is None else sorted(Branch.ALLOWED_CHILDREN[parent.kind])[0]
    n = next(_codes)
    fields.setdefault("name", f"{Branch.Kind(kind).label}{n}")
    fields.setdefault("code", f"T{n:05d}")
    return branch_create(parent=parent, kind=kind, **fields)


def new_id_number(birth: datetime.date = datetime.date(1980, 5, 17), sex: str = "M") -> str:
    """A fresh valid number for ``birth`` and ``sex`` (up to 500 a day; see ``_create``)."""
    return make_id_number("350181", birth, next(_sequence) % 500, sex)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MemberFactory(factory.django.DjangoModelFactory):
    """A full member; pass ``branch``. The ID number matches birth date and sex."""

    class Meta:
        model = Member
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"党员{n}")
    sex = Member.Sex.MALE
    birth_date = datetime.date(1980, 5, 17)
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    occupation = Member.Occupation.EMPLOYED
    status = Member.Status.FULL
    joined_on = datetime.date(2005, 7, 1)
    confirmed_on = datetime.date(2006, 7, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        number = kwargs.pop("id_number", None)
        obj = model_class(*args, **kwargs)
        if number is None:
            # 500 numbers per region, birth date and sex: later members get the next region code.
            n = next(_sequence)
            number = make_id_number(f"{350181 + n // 500}", obj.birth_date, n % 500, obj.sex)
        obj.set_id_number(number)
        obj.save()
        return obj
