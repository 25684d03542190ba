import datetime

import pytest

from branches.services import branch_dissolve
from members.services import MemberError, position_appoint
from tests.factories import MemberFactory, make_branch


@pytest.mark.django_db
def test_appointment_at_a_dissolved_branch_is_refused(tree):
    group = make_branch(tree.branch_a)
    branch_dissolve(branch=group, on=datetime.date(2026, 1, 1))
    member = MemberFactory(branch=tree.branch_a)
    with pytest.raises(MemberError) as exc:
        position_appoint(member=member, branch=group, title="group_leader", on=datetime.date(2026, 2, 1))
    assert exc.value.code == "branch_dissolved"


@pytest.mark.django_db
def test_appointment_in_the_future_is_refused(tree):
    member = MemberFactory(branch=tree.branch_a)
    with pytest.raises(MemberError) as exc:
        position_appoint(member=member, branch=tree.branch_a, title="secretary", on=datetime.date(2099, 1, 1))
    assert exc.value.code == "future_date"
