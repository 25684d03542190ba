import datetime

import pytest
from django.utils import timezone

from branches import access
from members import accounts, services
from members.models import Member, MemberEvent, Position
from members.rules import MemberData
from members.services import MemberError
from tests.factories import MemberFactory, new_id_number

pytestmark = pytest.mark.django_db

PASSWORD = "Hongqi-2024-activate"


def data_for(branch, **changes) -> MemberData:
    fields = dict(
        name="孙新",
        id_number=new_id_number(datetime.date(1990, 2, 3), "F"),
        branch=branch,
        joined_on=datetime.date(2015, 7, 1),
        confirmed_on=datetime.date(2016, 7, 1),
        status=Member.Status.FULL,
        occupation=Member.Occupation.EMPLOYED,
        phone="+86 138-0013-8000",
    )
    fields.update(changes)
    return MemberData(**fields)


def problem_fields(exc: MemberError) -> set[str]:
    return {field for field, _ in exc.problems}


# --- create ------------------------------------------------------------------


def test_create_fills_sex_and_birth_from_id_and_records_who(tree, secretary_a):
    member = services.member_create(data=data_for(tree.branch_a), by=secretary_a)
    assert (member.sex, member.birth_date, member.phone) == ("F", datetime.date(1990, 2, 3), "13800138000")
    event = member.events.get()
    assert (event.kind, event.to_branch, event.by) == (MemberEvent.Kind.CREATED, tree.branch_a, secretary_a)


def test_create_stores_the_id_number_encrypted_and_masked(tree):
    data = data_for(tree.branch_a)
    member = services.member_create(data=data)
    assert data.id_number not in member.id_number_encrypted
    assert member.id_number == data.id_number
    assert member.id_number_masked == "*" * 14 + data.id_number[-4:]


def test_create_reports_every_problem_at_once(tree):
    data = data_for(tree.group_a, name=" ", phone="12345", confirmed_on=None, joined_on=datetime.date(2000, 1, 1))
    with pytest.raises(MemberError) as caught:
        services.member_create(data=data)
    assert caught.value.code == "invalid"
    assert problem_fields(caught.value) >= {"name", "branch", "phone", "joined_on", "confirmed_on"}


def test_create_refuses_a_duplicate_id_number(tree, member_a):
    with pytest.raises(MemberError) as caught:
        services.member_create(data=data_for(tree.branch_b, id_number=member_a.id_number))
    assert caught.value.code == "duplicate_id_number" and problem_fields(caught.value) == {"id_number"}


# --- update ------------------------------------------------------------------


def test_update_records_a_status_change(tree, member_a, secretary_a):
    data = data_for(
        tree.branch_a, name="李明", id_number=member_a.id_number, status=Member.Status.PROBATIONARY,
        confirmed_on=None, joined_on=datetime.date(2024, 1, 1),
    )  # fmt: skip
    services.member_update(member=member_a, data=data, by=secretary_a)
    kinds = set(member_a.events.values_list("kind", flat=True))
    assert kinds == {MemberEvent.Kind.UPDATED, MemberEvent.Kind.STATUS_CHANGED}


def test_update_refuses_a_branch_change(tree, member_a):
    with pytest.raises(MemberError) as caught:
        services.member_update(member=member_a, data=data_for(tree.branch_b, id_number=member_a.id_number))
    assert caught.value.code == "needs_transfer"


def test_update_refuses_a_new_id_number(tree, member_a):
    with pytest.raises(MemberError) as caught:
        services.member_update(member=member_a, data=data_for(tree.branch_a))
    assert caught.value.code == "id_number_changed"


# --- confirm -----------------------------------------------------------------


@pytest.fixture
def probationary(tree):
    return MemberFactory(
        branch=tree.branch_a, status=Member.Status.PROBATIONARY, confirmed_on=None, joined_on=datetime.date(2023, 6, 1)
    )


def test_confirm_dates_the_full_membership_from_the_end_of_the_probation(probationary, secretary_a):
    services.member_confirm(member=probationary, by=secretary_a)
    probationary.refresh_from_db()
    assert (probationary.status, probationary.confirmed_on) == (Member.Status.FULL, datetime.date(2024, 6, 1))
    event = probationary.events.get(kind=MemberEvent.Kind.STATUS_CHANGED)
    assert (event.by, event.occurred_on, event.detail) == (
        secretary_a,
        datetime.date(2024, 6, 1),
        "预备党员 → 正式党员",
    )


def test_confirm_on_another_date_needs_a_reason_which_the_history_keeps(probationary, secretary_a):
    with pytest.raises(MemberError) as caught:
        services.member_confirm(member=probationary, on=datetime.date(2024, 6, 2), by=secretary_a)
    assert (caught.value.code, caught.value.field) == ("reason_required", "reason")
    assert "2024年06月01日" in caught.value.message
    services.member_confirm(
        member=probationary, on=datetime.date(2024, 6, 2), reason="补录，以批复为准", by=secretary_a
    )
    probationary.refresh_from_db()
    assert probationary.confirmed_on == datetime.date(2024, 6, 2)
    assert "补录，以批复为准" in probationary.events.get(kind=MemberEvent.Kind.STATUS_CHANGED).detail


def test_confirm_follows_an_extended_probation(probationary, secretary_a):
    services.member_extend_probation(member=probationary, months=6, by=secretary_a)
    services.member_confirm(member=probationary, by=secretary_a)
    assert probationary.confirmed_on == datetime.date(2024, 12, 1)


def test_confirm_refuses_a_probation_not_yet_ended(tree):
    joined = timezone.localdate() - datetime.timedelta(days=200)
    member = MemberFactory(branch=tree.branch_a, status=Member.Status.PROBATIONARY, confirmed_on=None, joined_on=joined)
    with pytest.raises(MemberError) as caught:
        services.member_confirm(member=member)
    assert caught.value.code == "future_date"
    assert Member.objects.get(pk=member.pk).status == Member.Status.PROBATIONARY


@pytest.mark.parametrize("months", [6, 9, 12])
def test_extend_probation_by_six_to_twelve_months(probationary, secretary_a, months):
    services.member_extend_probation(member=probationary, months=months, by=secretary_a)
    probationary.refresh_from_db()
    assert probationary.probation_extension_months == months
    assert probationary.events.get(kind=MemberEvent.Kind.STATUS_CHANGED).detail.startswith(f"延长预备期{months}个月")


@pytest.mark.parametrize("months", [0, 5, 13])
def test_extend_probation_outside_six_to_twelve_months_is_refused(probationary, months):
    with pytest.raises(MemberError) as caught:
        services.member_extend_probation(member=probationary, months=months)
    assert caught.value.code == "invalid_months"
    assert Member.objects.get(pk=probationary.pk).probation_extension_months == 0


def test_extend_probation_only_once_and_only_for_a_probationary_member(probationary, member_a):
    services.member_extend_probation(member=probationary, months=6)
    with pytest.raises(MemberError) as caught:
        services.member_extend_probation(member=probationary, months=6)
    assert caught.value.code == "already_extended"
    with pytest.raises(MemberError) as caught:
        services.member_extend_probation(member=member_a, months=6)
    assert caught.value.code == "not_probationary"


def test_confirm_refuses_a_full_member(member_a):
    with pytest.raises(MemberError) as caught:
        services.member_confirm(member=member_a, on=datetime.date(2024, 1, 1))
    assert caught.value.code == "not_probationary"


def test_confirm_refuses_a_date_not_after_joining(probationary):
    with pytest.raises(MemberError) as caught:
        services.member_confirm(member=probationary, on=datetime.date(2023, 6, 1), reason="x")
    assert caught.value.code == "confirmed_before_joined"


def test_leaving_as_probation_cancelled_is_only_for_a_probationary_member(probationary, member_a):
    with pytest.raises(MemberError) as caught:
        services.member_leave(
            member=member_a, on=datetime.date(2024, 3, 1), reason=Member.LeftReason.PROBATION_CANCELLED
        )
    assert caught.value.code == "not_probationary"
    services.member_leave(
        member=probationary,
        on=datetime.date(2024, 7, 1),
        reason=Member.LeftReason.PROBATION_CANCELLED,
        note="支部大会决议",
    )
    assert Member.objects.get(pk=probationary.pk).left_reason == "probation_cancelled"
    assert probationary.events.get(kind=MemberEvent.Kind.LEFT).detail == "取消预备党员资格：支部大会决议"


def test_other_is_no_longer_a_reason_for_leaving(member_a):
    with pytest.raises(MemberError) as caught:
        services.member_leave(member=member_a, on=datetime.date(2024, 3, 1), reason=Member.LeftReason.OTHER)
    assert caught.value.code == "reason_required"
    assert Member.objects.get(pk=member_a.pk).is_active


# --- transfer ----------------------------------------------------------------


def test_transfer_moves_member_and_records_both_branches(tree, member_a, orgdept):
    today = timezone.localdate()
    services.member_transfer(member=member_a, to_branch=tree.branch_b, on=today, by=orgdept, note="搬迁")
    member_a.refresh_from_db()
    assert (member_a.branch, member_a.group, member_a.household) == (tree.branch_b, None, None)
    event = member_a.events.get(kind=MemberEvent.Kind.TRANSFERRED)
    assert (event.from_branch, event.to_branch, event.detail, event.by) == (
        tree.branch_a,
        tree.branch_b,
        "搬迁",
        orgdept,
    )


def test_transfer_ends_positions_in_the_old_branch(tree, member_a):
    position = services.position_appoint(
        member=member_a, branch=tree.branch_a, title=Position.Title.SECRETARY, on=datetime.date(2024, 1, 1)
    )
    services.member_transfer(member=member_a, to_branch=tree.branch_b, on=timezone.localdate())
    position.refresh_from_db()
    assert position.ended_on == timezone.localdate()


@pytest.mark.parametrize(
    "target, code",
    [("branch_a", "same_branch"), ("group_a", "invalid_target"), ("town", "invalid_target")],
)
def test_transfer_refuses_an_unfit_target(tree, member_a, target, code):
    with pytest.raises(MemberError) as caught:
        services.member_transfer(member=member_a, to_branch=getattr(tree, target), on=timezone.localdate())
    assert caught.value.code == code


def test_transfer_refuses_a_future_date_and_a_left_member(tree, member_a):
    with pytest.raises(MemberError) as caught:
        services.member_transfer(
            member=member_a, to_branch=tree.branch_b, on=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert caught.value.code == "future_date"
    services.member_leave(member=member_a, on=timezone.localdate(), reason=Member.LeftReason.DIED)
    with pytest.raises(MemberError) as caught:
        services.member_transfer(member=member_a, to_branch=tree.branch_b, on=timezone.localdate())
    assert caught.value.code == "inactive"


# --- leave -------------------------------------------------------------------


def test_leave_keeps_the_record_and_its_history(member_a, secretary_a):
    services.member_leave(
        member=member_a, on=datetime.date(2024, 3, 1), reason=Member.LeftReason.EXPELLED, note="决定", by=secretary_a
    )
    member = Member.objects.get(pk=member_a.pk)
    assert (member.is_active, member.left_on, member.left_reason) == (False, datetime.date(2024, 3, 1), "expelled")
    assert member.events.get(kind=MemberEvent.Kind.LEFT).detail == "开除党籍：决定"


def test_leave_twice_or_without_reason_is_refused(member_a):
    with pytest.raises(MemberError) as caught:
        services.member_leave(member=member_a, on=datetime.date(2024, 3, 1), reason="")
    assert caught.value.code == "reason_required"
    services.member_leave(member=member_a, on=datetime.date(2024, 3, 1), reason=Member.LeftReason.DIED)
    with pytest.raises(MemberError) as caught:
        services.member_leave(member=member_a, on=datetime.date(2024, 3, 2), reason=Member.LeftReason.DIED)
    assert caught.value.code == "already_left"


# --- positions and manage_branch ---------------------------------------------


def _confirm(member, by) -> None:
    """The member enters the 任职确认码 that ``by`` issued (the account was activated without a code)."""
    accounts.position_grant_confirm(member=member, code=accounts.position_code_issue(member=member, by=by))


def test_appointing_a_secretary_grants_manage_branch_once_the_member_confirms(tree, member_a, orgdept):
    services.position_appoint(member=member_a, branch=tree.branch_a, title="secretary", on=datetime.date(2024, 1, 1))
    assert not access.has_perm(member_a.user, access.MANAGE, tree.branch_a)
    _confirm(member_a, orgdept)
    assert access.has_perm(member_a.user, access.MANAGE, tree.branch_a)


def test_appointing_a_group_leader_grants_nothing(tree, member_a):
    services.position_appoint(member=member_a, branch=tree.group_a, title="group_leader", on=datetime.date(2024, 1, 1))
    assert not access.has_perm(member_a.user, access.MANAGE, tree.group_a)


def test_ending_the_position_revokes_manage_branch(tree, member_a, orgdept):
    position = services.position_appoint(
        member=member_a, branch=tree.branch_a, title="deputy", on=datetime.date(2024, 1, 1)
    )
    _confirm(member_a, orgdept)
    assert access.has_perm(member_a.user, access.MANAGE, tree.branch_a)
    services.position_end(position=position, on=datetime.date(2024, 6, 1))
    assert not access.has_perm(member_a.user, access.MANAGE, tree.branch_a)


def test_ending_a_position_keeps_grants_made_by_hand(tree, member_a, orgdept):
    access.grant(member_a.user, access.MANAGE, tree.branch_b)
    position = services.position_appoint(
        member=member_a, branch=tree.branch_a, title="committee", on=datetime.date(2024, 1, 1)
    )
    _confirm(member_a, orgdept)
    services.position_end(position=position, on=datetime.date(2024, 6, 1))
    assert access.has_perm(member_a.user, access.MANAGE, tree.branch_b)


def test_a_second_sitting_secretary_is_refused(tree, member_a):
    other = MemberFactory(branch=tree.branch_a)
    services.position_appoint(member=member_a, branch=tree.branch_a, title="secretary", on=datetime.date(2024, 1, 1))
    with pytest.raises(MemberError) as caught:
        services.position_appoint(member=other, branch=tree.branch_a, title="secretary", on=datetime.date(2024, 1, 1))
    assert caught.value.code == "secretary_exists"


def test_activation_grants_what_positions_held_before_the_account(tree, member_b, orgdept):
    services.position_appoint(member=member_b, branch=tree.branch_b, title="secretary", on=datetime.date(2024, 1, 1))
    code = accounts.activation_code_issue(member=member_b, by=orgdept)  # a committee position needs a code
    member = accounts.account_activate(
        name=member_b.name, id_number=member_b.id_number, phone=member_b.phone, password=PASSWORD, code=code
    )
    assert access.has_perm(member.user, access.MANAGE, tree.branch_b)


# --- account activation ------------------------------------------------------


def test_activation_links_a_new_account(member_b):
    member = accounts.account_activate(
        name=f" {member_b.name} ", id_number=member_b.id_number.lower(), phone=member_b.phone, password=PASSWORD
    )
    assert member.user.check_password(PASSWORD)


@pytest.mark.parametrize("wrong", ["name", "id_number", "phone"])
def test_activation_with_any_detail_wrong_is_refused(member_b, wrong):
    details = {"name": member_b.name, "id_number": member_b.id_number, "phone": member_b.phone}
    details[wrong] = {"name": "别人", "id_number": new_id_number(), "phone": "13000000000"}[wrong]
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(**details, password=PASSWORD)
    assert caught.value.code == "no_match"


def test_activation_of_a_left_member_is_refused(member_b):
    services.member_leave(member=member_b, on=timezone.localdate(), reason=Member.LeftReason.DIED)
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(
            name=member_b.name, id_number=member_b.id_number, phone=member_b.phone, password=PASSWORD
        )
    assert caught.value.code == "no_match"


def test_activation_twice_is_refused(member_a):
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(
            name=member_a.name, id_number=member_a.id_number, phone=member_a.phone, password=PASSWORD
        )
    assert caught.value.code == "already_active"


def test_activation_with_a_weak_password_is_refused_and_creates_no_account(member_b):
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(
            name=member_b.name, id_number=member_b.id_number, phone=member_b.phone, password="12345678"
        )
    assert caught.value.code == "weak_password" and problem_fields(caught.value) == {"password"}
    member_b.refresh_from_db()
    assert member_b.user is None


def test_login_by_phone_or_id_number_finds_only_activated_members(member_a, member_b):
    assert accounts.find_member_for_login(member_a.phone) == member_a
    assert accounts.find_member_for_login(member_a.id_number) == member_a
    assert accounts.find_member_for_login(member_b.phone) is None
    assert accounts.find_member_for_login("someone") is None
