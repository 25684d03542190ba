"""Account activation (issue 12): the one-time code of members holding a committee position, the
phone of such members, the audit of every activation, members who left, and activation races."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from branches import access
from branches.models import AuditBulkEvent, Branch
from core.masking import mask_phone
from members import accounts, services
from members.idnumbers import mask_id_number
from members.models import ActivationCode, Member
from members.services import MemberError
from tests.factories import MemberFactory, UserFactory, new_id_number

pytestmark = pytest.mark.django_db

PASSWORD = "Hongqi-2024-activate"
RIGHT = "pw-for-tests-1"  # tests.factories.UserFactory's password
SECRETARY_PHONE = "13700001111"


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """The activation limiter's counters in a cache of these tests' own."""


@pytest.fixture
def town_member(tree, orgdept):
    """A member of branch A, without an account, who sits on the town's committee (委员)."""
    member = MemberFactory(branch=tree.branch_a, name="赵委员")
    services.position_appoint(
        member=member, branch=tree.town, title="committee", on=datetime.date(2024, 1, 1), by=orgdept
    )
    return member


def details(member: Member, **changes) -> dict:
    data = {"name": member.name, "id_number": member.id_number, "phone": member.phone, "password": PASSWORD}
    return {**data, **changes}


def form(member: Member, **changes) -> dict:
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "code": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **changes}


def edit_form(member: Member, **changes) -> dict:
    data = {
        "name": member.name,
        "ethnicity": member.ethnicity,
        "phone": mask_phone(member.phone),
        "occupation": member.occupation,
        "situation": member.situation,
        "status": member.status,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat(),
    }
    return {**data, **changes}


def activation_events():
    return AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.ACTIVATE_ACCOUNT).order_by("pk")


# --- the phone of a member with a position above the editor's scope --------------------------


def test_secretary_cannot_change_the_phone_of_a_member_on_the_town_committee(client, town_member, secretary_a):
    client.force_login(secretary_a)
    url = reverse("members:edit", args=[town_member.pk])
    response = client.post(url, edit_form(town_member, phone=SECRETARY_PHONE))
    assert response.status_code == 200
    error = response.context["form"].errors["phone"][0]
    assert "城关镇党委" in error and "只能由管理该组织的人员修改" in error
    town_member.refresh_from_db()
    assert town_member.phone != SECRETARY_PHONE


def test_secretary_still_edits_other_details_of_such_a_member(client, town_member, secretary_a):
    client.force_login(secretary_a)
    response = client.post(reverse("members:edit", args=[town_member.pk]), edit_form(town_member, name="赵委员甲"))
    assert response.status_code == 302
    town_member.refresh_from_db()
    assert town_member.name == "赵委员甲"


def test_who_manages_the_positions_branch_changes_the_phone(client, town_member, orgdept):
    client.force_login(orgdept)
    data = edit_form(town_member, phone=SECRETARY_PHONE)
    response = client.post(reverse("members:edit", args=[town_member.pk]), data)
    assert response.status_code == 302
    town_member.refresh_from_db()
    assert town_member.phone == SECRETARY_PHONE


def test_member_update_refuses_the_phone_with_a_code(town_member, secretary_a):
    from members.rules import MemberData

    data = MemberData(
        name=town_member.name,
        id_number=town_member.id_number,
        branch=town_member.branch,
        joined_on=town_member.joined_on,
        status=town_member.status,
        occupation=town_member.occupation,
        sex=town_member.sex,
        birth_date=town_member.birth_date,
        phone=SECRETARY_PHONE,
        confirmed_on=town_member.confirmed_on,
    )
    with pytest.raises(MemberError) as caught:
        services.member_update(member=town_member, data=data, by=secretary_a)
    assert caught.value.code == "contact_beyond_scope"


# --- the one-time activation code ------------------------------------------------------------


def test_the_takeover_fails_without_a_code_even_with_the_right_phone(tree, town_member, orgdept):
    """Even when the phone is the attacker's (say, changed before this fix), the account is not theirs."""
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(**details(town_member))
    assert caught.value.code == "no_match"
    town_member.refresh_from_db()
    assert town_member.user is None


def test_a_code_issued_by_the_town_activates_and_grants_the_town(tree, town_member, orgdept):
    code = accounts.activation_code_issue(member=town_member, by=orgdept)
    member = accounts.account_activate(**details(town_member), code=code.lower().replace("-", " "))
    assert access.has_perm(member.user, access.MANAGE, tree.town)
    assert ActivationCode.objects.get().used_at is not None


@pytest.mark.parametrize("which", ["wrong", "expired", "voided", "used"])
def test_a_wrong_expired_voided_or_used_code_gets_the_same_answer_as_a_wrong_phone(town_member, orgdept, which):
    code = accounts.activation_code_issue(member=town_member, by=orgdept)
    if which == "wrong":
        code = "ABCD-EFGH-JKLM"
    elif which == "expired":
        ActivationCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    elif which == "voided":
        accounts.activation_code_issue(member=town_member, by=orgdept)  # issuing again voids the first
    else:
        ActivationCode.objects.update(used_at=timezone.now())
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(**details(town_member), code=code)
    with pytest.raises(MemberError) as wrong_phone:
        accounts.account_activate(**details(town_member, phone="13000000000"), code=code)
    assert caught.value.code == wrong_phone.value.code == "no_match"
    assert caught.value.message == wrong_phone.value.message


def test_only_whoever_manages_the_highest_position_issues_a_code(tree, town_member, secretary_a, orgdept):
    with pytest.raises(MemberError) as caught:
        accounts.activation_code_issue(member=town_member, by=secretary_a)
    assert caught.value.code == "cannot_issue"
    assert not ActivationCode.objects.exists()


def test_a_code_whose_issuer_no_longer_manages_the_position_is_refused(tree, town_member, orgdept):
    code = accounts.activation_code_issue(member=town_member, by=orgdept)
    access.revoke(orgdept, access.MANAGE, tree.town)
    with pytest.raises(MemberError) as caught:
        accounts.account_activate(**details(town_member), code=code)
    assert caught.value.code == "no_match"


def test_only_a_hash_of_the_code_is_stored(town_member, orgdept):
    code = accounts.activation_code_issue(member=town_member, by=orgdept)
    stored = ActivationCode.objects.values().get()
    plain = code.replace("-", "")
    assert all(plain not in str(value) and code not in str(value) for value in stored.values())
    assert stored["issued_by_id"] == orgdept.pk
    hours = (stored["expires_at"] - stored["issued_at"]).total_seconds() / 3600
    assert round(hours) == 72


def test_members_without_a_committee_position_need_no_code(member_b):
    member = accounts.account_activate(**details(member_b))
    assert member.user is not None
    with pytest.raises(MemberError) as caught:
        accounts.activation_code_issue(member=MemberFactory(branch=member_b.branch), by=None)
    assert caught.value.code == "code_not_needed"


def test_member_page_offers_the_code_to_the_town_not_to_the_branch_secretary(client, town_member, orgdept, secretary_a):
    url = reverse("members:detail", args=[town_member.pk])
    issue = reverse("members:activation_code", args=[town_member.pk])
    client.force_login(orgdept)
    assert issue in client.get(url).text
    client.force_login(secretary_a)
    assert issue not in client.get(url).text


def test_issuing_is_post_only_and_refused_to_the_branch_secretary(client, town_member, secretary_a, secretary_b):
    url = reverse("members:activation_code", args=[town_member.pk])
    client.force_login(secretary_a)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    client.force_login(secretary_b)
    assert client.post(url).status_code == 404
    assert not ActivationCode.objects.exists()


def test_issuing_shows_the_code_once_and_is_audited(client, town_member, orgdept):
    client.force_login(orgdept)
    url = reverse("members:activation_code", args=[town_member.pk])
    response = client.post(url, REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    code = response.context["code"]
    assert code in response.text
    assert code not in client.get(reverse("members:detail", args=[town_member.pk])).text
    second = client.post(url, REMOTE_ADDR="10.7.7.7").context["code"]
    events = AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.ISSUE_ACTIVATION_CODE).order_by("pk")
    assert [(e.actor, e.remote_addr, e.object_id, e.counts) for e in events] == [
        (orgdept, "10.7.7.7", town_member.pk, {"voided": 0}),
        (orgdept, "10.7.7.7", town_member.pk, {"voided": 1}),
    ]
    # Only the last code works.
    with pytest.raises(MemberError):
        accounts.account_activate(**details(town_member), code=code)
    assert accounts.account_activate(**details(town_member), code=second).user is not None


def test_issuing_for_a_member_who_needs_no_code_answers_a_message(client, tree, secretary_a):
    member = MemberFactory(branch=tree.branch_a)
    client.force_login(secretary_a)
    response = client.post(reverse("members:activation_code", args=[member.pk]), follow=True)
    assert "无需激活码" in response.text
    assert not ActivationCode.objects.exists()


def test_activation_page_takes_the_code(client, town_member, orgdept):
    code = accounts.activation_code_issue(member=town_member, by=orgdept)
    page = client.get(reverse("members:activate"))
    assert 'name="code"' in page.text
    refused = client.post(reverse("members:activate"), form(town_member))
    assert "不一致" in str(refused.context["form"].non_field_errors())
    response = client.post(reverse("members:activate"), form(town_member, code=code))
    assert response.status_code == 302
    town_member.refresh_from_db()
    assert town_member.user is not None


# --- every activation is audited --------------------------------------------------------------


def test_every_activation_attempt_is_audited_with_member_account_and_ip(client, member_b):
    url = reverse("members:activate")
    client.post(url, form(member_b, phone="13000000000"), REMOTE_ADDR="10.5.5.1")
    client.post(url, form(member_b), REMOTE_ADDR="10.5.5.2")
    client.post(url, form(member_b), REMOTE_ADDR="10.5.5.3")
    member_b.refresh_from_db()
    rows = [(e.object_id, e.actor, e.remote_addr, e.note, e.branch_id) for e in activation_events()]
    assert rows == [
        (member_b.pk, None, "10.5.5.1", "拒绝：no_match", member_b.branch_id),
        (member_b.pk, member_b.user, "10.5.5.2", "成功", member_b.branch_id),
        (member_b.pk, member_b.user, "10.5.5.3", "拒绝：already_active", member_b.branch_id),
    ]


def test_an_attempt_on_an_unknown_number_is_audited_without_the_number(client, tree):
    number = new_id_number()
    data = {"name": "某人", "id_number": number, "phone": "13000000000", "password1": PASSWORD, "password2": PASSWORD}
    client.post(reverse("members:activate"), data, REMOTE_ADDR="10.5.5.9")
    event = activation_events().get()
    assert (event.object_id, event.remote_addr) == (None, "10.5.5.9")
    assert mask_id_number(number) in event.note and number not in event.note


# --- members who left -------------------------------------------------------------------------


def test_a_member_who_left_cannot_log_in_by_username_phone_or_id_number(member_a):
    username = member_a.user.username
    services.member_leave(member=member_a, on=timezone.localdate(), reason=Member.LeftReason.TRANSFERRED_OUT)
    member_a.user.refresh_from_db()
    assert not member_a.user.is_active
    for identifier in (username, member_a.phone, member_a.id_number):
        response = Client().post(reverse("login"), {"username": identifier, "password": RIGHT})
        assert response.status_code == 200, identifier  # the form again, no session
        assert "_auth_user_id" not in response.client.session


def test_an_open_session_of_a_member_who_left_ends_on_its_next_request(client, member_a):
    assert client.post(reverse("login"), {"username": member_a.phone, "password": RIGHT}).status_code == 302
    assert client.get(reverse("members:me")).status_code == 200
    services.member_leave(member=member_a, on=timezone.localdate(), reason=Member.LeftReason.DIED)
    response = client.get(reverse("members:me"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_leaving_through_the_page_ends_the_account(client, member_a, secretary_a):
    member_client = Client()
    member_client.force_login(member_a.user)
    client.force_login(secretary_a)
    data = {"on": timezone.localdate().isoformat(), "reason": Member.LeftReason.EXPELLED, "note": ""}
    assert client.post(reverse("members:leave", args=[member_a.pk]), data).status_code == 302
    assert member_client.get(reverse("members:me")).status_code == 302
    assert not get_user_model().objects.get(pk=member_a.user_id).is_active


# --- races --------------------------------------------------------------------------------------


def test_the_limit_holds_for_attempts_made_while_others_run(client, member_b, settings):
    """Attempts made while earlier ones are still being processed: at most the limit are processed."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activate": (3, 600)}
    url = reverse("members:activate")
    processed, answers = [], []
    real = accounts.account_activate

    def slow_activate(**kwargs):
        processed.append(kwargs["name"])
        if len(processed) == 1:  # while the first runs, five more arrive from the same address
            answers.extend(
                Client().post(url, form(member_b, name="冒名"), REMOTE_ADDR="10.8.8.8").status_code for _ in range(5)
            )
        return real(**kwargs)

    with mock.patch.object(accounts, "account_activate", side_effect=slow_activate):
        first = client.post(url, form(member_b, name="冒名"), REMOTE_ADDR="10.8.8.8")
    assert first.status_code == 200
    assert len(processed) == 3
    assert sorted(answers) == [200, 200, 429, 429, 429]


def test_a_successful_activation_is_given_back_to_the_limit(client, tree, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activate": (1, 600)}
    url = reverse("members:activate")
    members = [MemberFactory(branch=tree.branch_a) for _ in range(3)]
    assert [client.post(url, form(m), REMOTE_ADDR="10.9.9.9").status_code for m in members] == [302, 302, 302]
    assert client.post(url, form(members[0], name="冒名"), REMOTE_ADDR="10.9.9.9").status_code == 200
    assert client.post(url, form(members[0], name="冒名"), REMOTE_ADDR="10.9.9.9").status_code == 429


def test_a_second_activation_that_read_the_member_before_the_first_finished_is_answered(member_b):
    """The member's row is locked and read again: the second sees the first's account."""
    stale = Member.objects.get(pk=member_b.pk)
    accounts.account_activate(**details(member_b))
    with pytest.raises(MemberError) as caught:
        accounts._activate(stale, name=stale.name, phone=stale.phone, password=PASSWORD, code="")
    assert caught.value.code == "already_active"
    assert get_user_model().objects.filter(username=f"m{member_b.pk}").count() == 1


def test_a_concurrent_activation_that_loses_the_insert_race_gets_a_message_not_a_500(client, member_b):
    with mock.patch.object(get_user_model(), "save", side_effect=IntegrityError("duplicate username")):
        response = client.post(reverse("members:activate"), form(member_b))
    assert response.status_code == 200
    assert "该党员已激活账号，请直接登录" in str(response.context["form"].non_field_errors())
    member_b.refresh_from_db()
    assert member_b.user is None


def _row_of(member: Member, **overrides) -> dict:
    from tests.members.import_helpers import person

    row = person(
        member.branch.code,
        **{
            "姓名": member.name,
            "性别": "男" if member.sex == "M" else "女",
            "出生日期": member.birth_date,
            "公民身份号码": member.id_number,
            "手机号码": member.phone,
            "民族": member.ethnicity,
            "学历": member.get_education_display(),
            "党组织编码": member.branch.code,
            "党小组编码": member.group.code if member.group else "",
            "职业类别": member.get_occupation_display(),
            "党员状况": member.get_situation_display(),
            "党员状态": member.get_status_display(),
            "入党日期": member.joined_on,
            "转正日期": member.confirmed_on,
        },
    )
    row.update(overrides)
    return row


def test_a_roster_import_cannot_change_the_phone_of_a_member_on_the_town_committee(town_member, secretary_a, orgdept):
    from members.roster_io.importing import import_members
    from tests.members.import_helpers import workbook_bytes

    unchanged = import_members(workbook_bytes([_row_of(town_member)]), user=secretary_a, dry_run=True)
    assert unchanged.ok and unchanged.unchanged == 1
    changed = _row_of(town_member, **{"手机号码": SECRETARY_PHONE})
    refused = import_members(workbook_bytes([changed]), user=secretary_a)
    assert [(e.row, e.column) for e in refused.errors] == [(2, "手机号码")]
    assert "只能由管理该组织的人员修改" in refused.errors[0].message
    town_member.refresh_from_db()
    assert town_member.phone != SECRETARY_PHONE
    assert import_members(workbook_bytes([changed]), user=orgdept).ok  # the town manages the position
    town_member.refresh_from_db()
    assert town_member.phone == SECRETARY_PHONE


# --- positions given after an account was activated without a code (任职确认码) ----------------


@pytest.fixture
def taken_over(client, tree, secretary_a):
    """The attack's first half: a secretary sets the phone of an ordinary member of their branch to
    their own and activates the member's account (no position: no code needed), keeping the password."""
    member = MemberFactory(branch=tree.branch_a, name="钱党员")
    client.force_login(secretary_a)
    assert (
        client.post(reverse("members:edit", args=[member.pk]), edit_form(member, phone=SECRETARY_PHONE)).status_code
        == 302
    )
    client.logout()
    member.refresh_from_db()
    return accounts.account_activate(**details(member))


def appoint_on_town(member: Member, by):
    town = Branch.objects.get(path=member.branch.ancestor_paths()[0])
    return services.position_appoint(member=member, branch=town, title="committee", on=datetime.date(2024, 1, 1), by=by)


def confirm_events():
    return AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.CONFIRM_POSITION).order_by("pk")


def test_the_takeover_through_a_plain_members_account_ends_with_no_grant_on_the_town(client, tree, taken_over, orgdept):
    position = appoint_on_town(taken_over, orgdept)
    access.forget(taken_over.user)
    assert not access.has_perm(taken_over.user, access.MANAGE, tree.town)
    assert not access.holders_branches(taken_over.user, access.MANAGE)
    assert position.grant_pending and position.grant_confirmed_at is None
    client.force_login(orgdept)
    page = client.get(reverse("members:detail", args=[taken_over.pk])).text
    assert "任职权限待本人确认" in page and reverse("members:position_code", args=[taken_over.pk]) in page
    client.force_login(taken_over.user)
    own = client.get(reverse("members:me")).text
    assert "任职权限待本人确认" in own and "输入任职确认码" in own
    assert reverse("members:confirm_position") in own


def test_the_confirmation_code_entered_by_the_member_attaches_the_grant(client, tree, taken_over, orgdept):
    position = appoint_on_town(taken_over, orgdept)
    client.force_login(orgdept)
    response = client.post(reverse("members:position_code", args=[taken_over.pk]), REMOTE_ADDR="10.6.6.1")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    code = response.context["code"]
    assert code in response.text and "城关镇党委委员" in response.text
    assert code not in client.get(reverse("members:detail", args=[taken_over.pk])).text
    stored = ActivationCode.objects.values().get(purpose=ActivationCode.Purpose.CONFIRM)
    assert all(code.replace("-", "") not in str(value) for value in stored.values())
    assert (stored["issued_by_id"], stored["branch_id"]) == (orgdept.pk, tree.town.pk)

    client.force_login(taken_over.user)
    answer = client.post(
        reverse("members:confirm_position"), {"code": code.lower()}, REMOTE_ADDR="10.6.6.2", follow=True
    )
    assert "已确认任职权限：城关镇党委委员" in answer.text
    assert "任职权限待本人确认" not in answer.text
    access.forget(taken_over.user)
    assert access.has_perm(taken_over.user, access.MANAGE, tree.town)
    position.refresh_from_db()
    assert position.grant_confirmed_at is not None
    issued = AuditBulkEvent.objects.get(kind=AuditBulkEvent.Kind.ISSUE_POSITION_CODE)
    assert (issued.actor, issued.remote_addr, issued.object_id) == (orgdept, "10.6.6.1", taken_over.pk)
    assert "城关镇党委" in issued.note
    (confirmed,) = confirm_events()
    assert (confirmed.actor, confirmed.remote_addr, confirmed.object_id, confirmed.counts) == (
        taken_over.user, "10.6.6.2", taken_over.pk, {"confirmed": 1}
    )  # fmt: skip
    assert taken_over.events.filter(detail="本人确认城关镇党委委员任职权限", by=taken_over.user).exists()


@pytest.mark.parametrize("which", ["other_member", "expired", "reused", "voided", "wrong"])
def test_a_code_of_another_member_expired_reused_or_wrong_does_nothing_and_says_so_in_one_message(
    client, tree, taken_over, orgdept, which
):
    appoint_on_town(taken_over, orgdept)
    code = accounts.position_code_issue(member=taken_over, by=orgdept)
    if which == "other_member":
        other = MemberFactory(branch=tree.branch_b, user=UserFactory(username="other_member"))
        appoint_on_town(other, orgdept)
        ActivationCode.objects.update(voided_at=timezone.now())
        code = accounts.position_code_issue(member=other, by=orgdept)
    elif which == "expired":
        ActivationCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    elif which == "reused":
        ActivationCode.objects.update(used_at=timezone.now())
    elif which == "voided":
        accounts.position_code_issue(member=taken_over, by=orgdept)  # issuing again voids the first
    else:
        code = "ABCD-EFGH-JKLM"
    client.force_login(taken_over.user)
    answer = client.post(reverse("members:confirm_position"), {"code": code}, REMOTE_ADDR="10.6.6.3", follow=True)
    assert [str(m) for m in answer.context["messages"]] == [accounts.POSITION_CODE_REFUSED]
    access.forget(taken_over.user)
    assert not access.has_perm(taken_over.user, access.MANAGE, tree.town)
    assert taken_over.positions.get().grant_pending
    assert [(e.actor, e.remote_addr, e.note) for e in confirm_events()] == [
        (taken_over.user, "10.6.6.3", "拒绝：no_match")
    ]


def test_a_code_is_used_once(tree, taken_over, orgdept):
    appoint_on_town(taken_over, orgdept)
    code = accounts.position_code_issue(member=taken_over, by=orgdept)
    assert accounts.position_grant_confirm(member=taken_over, code=code)
    used = ActivationCode.objects.get()
    assert used.used_at is not None
    with pytest.raises(MemberError) as caught:
        accounts.position_grant_confirm(member=taken_over, code=code)
    assert caught.value.code == "nothing_pending"


def test_a_used_code_does_not_confirm_a_later_position_outside_what_it_vouched_for(tree, secretary_a, orgdept):
    """A code issued by the branch secretary (for a branch position) vouches for the branch only:
    entered again for a later town position, it is refused like any used code."""
    member = MemberFactory(branch=tree.branch_a, user=UserFactory(username="plain_a"))
    services.position_appoint(member=member, branch=tree.branch_a, title="deputy", on=datetime.date(2024, 1, 1))
    code = accounts.position_code_issue(member=member, by=secretary_a)
    assert ActivationCode.objects.get().branch == tree.branch_a
    assert accounts.position_grant_confirm(member=member, code=code)
    assert appoint_on_town(member, orgdept).grant_pending
    with pytest.raises(MemberError) as caught:
        accounts.position_grant_confirm(member=member, code=code)
    assert caught.value.message == accounts.POSITION_CODE_REFUSED
    assert not access.has_perm(member.user, access.MANAGE, tree.town)


def test_a_code_whose_issuer_no_longer_manages_the_branch_is_refused(tree, taken_over, orgdept):
    appoint_on_town(taken_over, orgdept)
    code = accounts.position_code_issue(member=taken_over, by=orgdept)
    access.revoke(orgdept, access.MANAGE, tree.town)
    with pytest.raises(MemberError) as caught:
        accounts.position_grant_confirm(member=taken_over, code=code)
    assert caught.value.message == accounts.POSITION_CODE_REFUSED
    assert not access.has_perm(taken_over.user, access.MANAGE, tree.town)


def test_a_member_activated_with_a_code_from_the_town_then_appointed_on_the_town_gets_the_grant_at_once(tree, orgdept):
    member = MemberFactory(branch=tree.branch_a)
    services.position_appoint(member=member, branch=tree.branch_a, title="secretary", on=datetime.date(2024, 1, 1))
    code = accounts.activation_code_issue(member=member, by=orgdept)
    member = accounts.account_activate(**details(member), code=code)
    assert ActivationCode.objects.get().branch == tree.town  # the code vouches for the town's subtree
    position = appoint_on_town(member, orgdept)
    assert position.grant_confirmed_at is not None and not accounts.pending_grants(member)
    assert access.has_perm(member.user, access.MANAGE, tree.town)


def test_a_code_from_the_branch_vouches_for_the_branch_only(tree, secretary_a, orgdept):
    member = MemberFactory(branch=tree.branch_a)
    services.position_appoint(member=member, branch=tree.branch_a, title="deputy", on=datetime.date(2024, 1, 1))
    code = accounts.activation_code_issue(member=member, by=secretary_a)
    member = accounts.account_activate(**details(member), code=code)
    assert access.has_perm(member.user, access.MANAGE, tree.branch_a)
    position = appoint_on_town(member, orgdept)
    assert position.grant_pending
    assert not access.has_perm(member.user, access.MANAGE, tree.town)


def test_an_account_that_already_manages_the_branch_gets_the_grant_at_once(tree, member_a):
    access.grant(member_a.user, access.MANAGE, tree.village_a)
    position = services.position_appoint(
        member=member_a, branch=tree.branch_a, title="secretary", on=datetime.date(2024, 1, 1)
    )
    assert not position.grant_pending
    assert tree.branch_a.pk in access.holders_branches(member_a.user, access.MANAGE)


def test_issuing_a_confirmation_code_is_refused_to_the_branch_secretary_and_to_other_towns(
    client, tree, taken_over, orgdept, secretary_a, secretary_b, other_orgdept
):
    appoint_on_town(taken_over, orgdept)
    url = reverse("members:position_code", args=[taken_over.pk])
    client.force_login(secretary_a)
    assert (
        reverse("members:position_code", args=[taken_over.pk])
        not in client.get(reverse("members:detail", args=[taken_over.pk])).text
    )
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    for user in (secretary_b, other_orgdept):
        client.force_login(user)
        assert client.post(url).status_code == 404
    with pytest.raises(MemberError) as caught:
        accounts.position_code_issue(member=taken_over, by=secretary_a)
    assert caught.value.code == "cannot_issue"
    assert not ActivationCode.objects.exists()
    assert not AuditBulkEvent.objects.filter(kind=AuditBulkEvent.Kind.ISSUE_POSITION_CODE).exists()


def test_ending_a_confirmed_position_revokes_its_grant(tree, taken_over, orgdept):
    position = appoint_on_town(taken_over, orgdept)
    accounts.position_grant_confirm(member=taken_over, code=accounts.position_code_issue(member=taken_over, by=orgdept))
    assert access.has_perm(taken_over.user, access.MANAGE, tree.town)
    services.position_end(position=position, on=timezone.localdate(), by=orgdept)
    assert not access.has_perm(taken_over.user, access.MANAGE, tree.town)
    assert not access.holders_branches(taken_over.user, access.MANAGE)


def test_the_upgrade_keeps_the_grants_of_positions_held_by_existing_accounts(tree, member_a, member_b):
    """members/migrations/0005: current positions of members who have an account are confirmed."""
    import importlib

    from django.apps import apps

    from members.models import Position

    held = Position.objects.create(
        member=member_a, branch=tree.branch_a, title="secretary", started_on=datetime.date(2024, 1, 1)
    )
    no_account = Position.objects.create(member=member_b, branch=tree.branch_b, title="secretary", started_on=datetime.date(2024, 1, 1))  # fmt: skip
    migration = importlib.import_module("members.migrations.0005_position_grant_confirmation")
    migration.confirm_positions_of_existing_accounts(apps, None)
    held.refresh_from_db()
    no_account.refresh_from_db()
    assert held.grant_confirmed_at is not None and not held.grant_pending
    assert no_account.grant_confirmed_at is None  # activating needs a code, which confirms it
    services.position_sync_grants(member=member_a)
    assert access.has_perm(member_a.user, access.MANAGE, tree.branch_a)
