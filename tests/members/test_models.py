"""Member's dates and the vote: probation's end (转正), 党龄, and who may vote on a day."""

from __future__ import annotations

import datetime

import pytest

from members.models import Member, Sanction
from tests.factories import MemberFactory

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "joined, months, ends",
    [
        (D(2024, 7, 1), 0, D(2025, 7, 1)),  # one year
        (D(2024, 2, 29), 0, D(2025, 2, 28)),  # 29 Feb: the month's last day
        (D(2024, 7, 1), 6, D(2026, 1, 1)),  # extended six months, across the year's end
        (D(2024, 8, 31), 6, D(2026, 2, 28)),  # the 31st into February
        (D(2023, 8, 31), 6, D(2025, 2, 28)),
        (D(2023, 2, 28), 12, D(2025, 2, 28)),  # extended twelve months
    ],
)
def test_probation_ends_a_year_after_admission_plus_the_extension(joined, months, ends):
    member = Member(joined_on=joined, probation_extension_months=months)
    assert member.probation_ends_on == ends


def test_party_standing_counts_from_confirmation_and_a_probationary_member_has_none():
    full = Member(status=Member.Status.FULL, joined_on=D(2010, 7, 1), confirmed_on=D(2011, 7, 1))
    assert full.party_standing_years(D(2021, 6, 30)) == 9
    assert full.party_standing_years(D(2021, 7, 1)) == 10
    probationary = Member(status=Member.Status.PROBATIONARY, joined_on=D(2025, 7, 1))
    assert probationary.party_standing_from is None
    assert probationary.party_standing_years(D(2026, 1, 1)) is None


def _sanction(member, kind, imposed_on, ends_on=None):
    return Sanction.objects.create(
        member=member, kind=kind, imposed_on=imposed_on, ends_on=ends_on, document_number="组发〔2026〕1号"
    )


@pytest.fixture
def varied(tree) -> dict[str, Member]:
    """One member of each case the vote predicate tells apart."""
    k = Sanction.Kind
    m = {
        "full": MemberFactory(branch=tree.branch_a),
        "probationary": MemberFactory(
            branch=tree.branch_a, status=Member.Status.PROBATIONARY, joined_on=D(2025, 9, 1), confirmed_on=None
        ),
        "left": MemberFactory(branch=tree.branch_a, is_active=False, left_on=D(2026, 1, 10)),
        "on_probation": MemberFactory(branch=tree.branch_a),
        "probation_ended": MemberFactory(branch=tree.branch_a),
        "ends_that_day": MemberFactory(branch=tree.branch_a),
        "suspended": MemberFactory(branch=tree.branch_a),
        "suspended_later": MemberFactory(branch=tree.branch_a),
        "warned": MemberFactory(branch=tree.branch_a),
    }
    _sanction(m["on_probation"], k.PROBATION, D(2025, 6, 1), D(2026, 6, 1))
    _sanction(m["probation_ended"], k.PROBATION, D(2024, 6, 1), D(2025, 6, 1))
    _sanction(m["ends_that_day"], k.RIGHTS_SUSPENDED, D(2025, 12, 1), D(2026, 3, 1))
    _sanction(m["suspended"], k.RIGHTS_SUSPENDED, D(2026, 3, 1))  # imposed that day, no end yet
    _sanction(m["suspended_later"], k.RIGHTS_SUSPENDED, D(2026, 3, 2))
    _sanction(m["warned"], k.SERIOUS_WARNING, D(2026, 1, 5))  # a 处分 that keeps the vote
    return m


ON = D(2026, 3, 1)


def test_who_may_vote_on_a_day(varied):
    voting = {name for name, member in varied.items() if member.may_vote(ON)}
    assert voting == {"full", "probation_ended", "ends_that_day", "suspended_later", "warned"}


@pytest.mark.parametrize("on", [D(2025, 5, 31), D(2025, 6, 1), D(2026, 2, 28), ON, D(2026, 3, 2), D(2026, 6, 1)])
def test_the_voting_queryset_and_may_vote_agree_for_every_member(varied, on):
    in_queryset = set(Member.objects.voting(on).values_list("pk", flat=True))
    assert {m.pk for m in varied.values() if m.may_vote(on)} == in_queryset


def test_rights_suspended_is_an_organizational_measure_not_a_disciplinary_sanction():
    assert Sanction.Kind.RIGHTS_SUSPENDED not in Sanction.DISCIPLINARY_KINDS
    assert Sanction.Kind.RIGHTS_SUSPENDED in Sanction.VOTE_REMOVING_KINDS
