"""Ending a registration (docs/rules/service.md rule 1): the member their own, a secretary (the community's or the
member's own) with a reason, a unit's by the community's secretary; the rows stay, the ended drop out."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from core.periods import Period
from service import services
from service.errors import ServiceError
from service.figures import figures
from service.models import Registration, ServiceRequest, ServiceRequestEvent, UnitRegistration
from service.selectors import registered_members

Status = ServiceRequest.Status


@pytest.fixture
def unit_reg(tree, secretary_a):
    return services.unit_registration_create(
        unit=tree.branch_b, community=tree.branch_a, contact_name="周", contact_phone="13900139000", by=secretary_a
    )


def test_the_member_ends_their_own_from_the_page(login_as, registered_a, member_a, new_request):
    services.request_claim(request=new_request, member=member_a, by=None)
    response = login_as("member_a").post(reverse("service:end_mine"), {"reason": "搬家了"}, follow=True)
    assert "已结束在" in response.content.decode()
    reg = Registration.objects.get(pk=registered_a.pk)
    assert reg.ended_on is not None and reg.end_reason == "搬家了" and reg.ended_by == member_a.user
    # the request in their hands returns to the pool, with a step
    request = ServiceRequest.objects.get(pk=new_request.pk)
    assert (request.status, request.assignee) == (Status.NEW, None)
    assert request.events.filter(kind=ServiceRequestEvent.Kind.RETURNED, note="报到结束，退回待派单").exists()
    # the page offers reporting again; the row stays and is audited
    page = login_as("member_a").get(reverse("service:mine")).content.decode()
    assert reverse("service:register") in page
    assert LogEntry.objects.get_for_object(reg).filter(actor=member_a.user).exists()


def test_the_member_ends_without_a_reason(login_as, registered_a):
    login_as("member_a").post(reverse("service:end_mine"))
    assert Registration.objects.get(pk=registered_a.pk).end_reason == services.OWN_END_REASON


def test_ending_needs_a_post_and_an_open_registration(login_as, member_a, registered_a):
    client = login_as("member_a")
    assert client.get(reverse("service:end_mine")).status_code == 405
    client.post(reverse("service:end_mine"))
    assert client.post(reverse("service:end_mine")).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("secretary_a", 302), ("secretary_b", 302), ("orgdept", 302), ("viewer", 403), ("reviewer", 403)]
    + [("member_a", 404), ("other_orgdept", 404)],
)
def test_who_may_end_a_members_registration(login_as, registered_b, persona, status):
    """registered_b: member_b of branch B reported to branch A: A's secretary (the community's) and B's (the
    member's own) may end it; a reader of both is refused (403), someone outside both sees nothing (404)."""
    url = reverse("service:registration_end", args=[registered_b.pk])
    response = login_as(persona).post(url, {"reason": "组织关系转出"})
    assert response.status_code == status
    ended = Registration.objects.get(pk=registered_b.pk).ended_on is not None
    assert ended == (status == 302)


def test_the_members_own_secretary_is_sent_back_to_their_branch(login_as, tree, registered_b):
    response = login_as("secretary_b").post(
        reverse("service:registration_end", args=[registered_b.pk]), {"reason": "组织关系转出"}
    )
    assert response["Location"] == reverse("service:registrations", args=[tree.branch_b.code])
    reg = Registration.objects.get(pk=registered_b.pk)
    assert reg.end_reason == "组织关系转出" and reg.ended_by.username == "secretary_b"


def test_a_secretary_must_give_a_reason(login_as, registered_b):
    response = login_as("secretary_a").post(
        reverse("service:registration_end", args=[registered_b.pk]), {"reason": "  "}, follow=True
    )
    assert "结束报到须填写原因" in response.content.decode()
    assert Registration.objects.get(pk=registered_b.pk).ended_on is None


def test_ending_twice_is_told(registered_a, secretary_a):
    services.registration_end(registration=registered_a, reason="迁出", by=secretary_a)
    with pytest.raises(ServiceError) as exc:
        services.registration_end(registration=registered_a, reason="迁出", by=secretary_a)
    assert exc.value.code == "ended"


def test_an_ended_registration_drops_out(login_as, tree, registered_a, registered_b, member_a, new_request):
    services.registration_end(registration=registered_a, reason="迁出", by=None)
    today = datetime.date.today()
    assert [r.member_id for r in registered_members(community=tree.branch_a, today=today)] == [registered_b.member_id]
    with pytest.raises(ServiceError) as exc:
        services.request_dispatch(request=new_request, member=member_a, by=None)
    assert exc.value.code == "not_registered"
    page = login_as("secretary_a").get(reverse("service:registrations", args=[tree.branch_a.code])).content.decode()
    assert member_a.name not in page
    assert Registration.objects.filter(pk=registered_a.pk).exists()  # never deleted


def test_the_rate_counts_a_registration_until_its_end_date(tree, member_a, registered_a):
    member_a.occupation = member_a.Occupation.EMPLOYED
    member_a.save()
    Registration.objects.filter(pk=registered_a.pk).update(
        registered_on=datetime.date(2026, 1, 5), confirmed_on=datetime.date(2026, 1, 5)
    )
    services.registration_end(registration=registered_a, reason="迁出", by=None, today=datetime.date(2026, 3, 1))
    feb = figures(root=tree.town, period=Period.parse("2026-02"), today=datetime.date(2026, 5, 1))
    march = figures(root=tree.town, period=Period.parse("2026-03"), today=datetime.date(2026, 5, 1))
    assert (feb.registered, march.registered) == (1, 0)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("secretary_a", 302), ("orgdept", 302), ("viewer", 403), ("reviewer", 403), ("secretary_b", 404)]
    + [("member_a", 404), ("other_orgdept", 404)],
)
def test_who_may_end_a_units_registration(login_as, unit_reg, persona, status):
    url = reverse("service:unit_end", args=[unit_reg.pk])
    response = login_as(persona).post(url, {"reason": "单位撤并"})
    assert response.status_code == status
    reg = UnitRegistration.objects.get(pk=unit_reg.pk)
    assert (reg.ended_on is not None) == (status == 302)
    if status == 302:
        assert reg.end_reason == "单位撤并" and reg.ended_by is not None


def test_a_unit_without_a_reason_is_told_and_kept(login_as, unit_reg, tree):
    response = login_as("secretary_a").post(reverse("service:unit_end", args=[unit_reg.pk]), follow=True)
    assert "结束报到须填写原因" in response.content.decode()
    assert UnitRegistration.objects.get(pk=unit_reg.pk).ended_on is None
    page = login_as("secretary_a").get(reverse("service:registrations", args=[tree.branch_a.code])).content.decode()
    assert reverse("service:unit_end", args=[unit_reg.pk]) in page
