"""Simultaneous correct activations of one member (PostgreSQL: threads, each its own connection)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from members import accounts
from members.models import Member
from members.services import MemberError
from tests.factories import MemberFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 6
PASSWORD = "Hongqi-2024-activate"


def test_six_simultaneous_activations_give_one_account_and_five_messages(tree):
    member = MemberFactory(branch=tree.branch_a)
    barrier = threading.Barrier(THREADS)
    outcomes, errors = [], []

    def activate():
        try:
            barrier.wait()
            accounts.account_activate(
                name=member.name, id_number=member.id_number, phone=member.phone, password=PASSWORD
            )
            outcomes.append("activated")
        except MemberError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - a 500 in the view: reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(outcomes) == ["activated"] + ["already_active"] * (THREADS - 1)
    assert get_user_model().objects.filter(username=f"m{member.pk}").count() == 1
    assert Member.objects.get(pk=member.pk).user is not None
