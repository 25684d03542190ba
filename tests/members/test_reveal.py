"""The member page's "显示": full ID number, phone and birth date for one response, audited."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from members.models import Member

pytestmark = pytest.mark.django_db


def reveal_url(member: Member) -> str:
    return reverse("members:reveal", args=[member.pk])


def access_entries(member: Member):
    return LogEntry.objects.get_for_object(member).filter(action=LogEntry.Action.ACCESS)


def test_reveal_shows_full_id_number_phone_and_birth_date_once(login_as, member_a):
    client = login_as("orgdept")
    response = client.post(reveal_url(member_a), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    text = response.text
    assert member_a.id_number in text and member_a.phone in text
    assert "<dt>出生日期</dt>" in text and "1980年5月17日" in text
    assert "no-store" in response["Cache-Control"]
    again = client.get(reverse("members:detail", args=[member_a.pk])).text
    assert member_a.id_number not in again and member_a.phone not in again and "1980年5月17日" not in again


def test_reveal_records_who_when_where_and_which_member(login_as, member_a, orgdept):
    login_as("orgdept").post(reveal_url(member_a), REMOTE_ADDR="203.0.113.7")
    entry = access_entries(member_a).get()
    assert (entry.actor, entry.remote_addr, entry.object_pk, entry.object_repr) == (
        orgdept,
        "203.0.113.7",
        str(member_a.pk),
        "李明",
    )
    assert entry.timestamp is not None


def test_reveal_is_shown_in_the_members_audit_trail(login_as, member_a):
    client = login_as("orgdept")
    client.post(reveal_url(member_a), REMOTE_ADDR="203.0.113.7")
    page = client.get(reverse("members:detail", args=[member_a.pk])).text
    assert "显示完整信息" in page and "203.0.113.7" in page


def test_reveal_by_get_is_not_allowed_and_records_nothing(login_as, member_a):
    assert login_as("orgdept").get(reveal_url(member_a)).status_code == 405
    assert not access_entries(member_a).exists()


@pytest.mark.parametrize(
    "persona, status",
    [
        ("secretary_a", 403),  # manages the branch, no view_sensitive
        ("reviewer", 403),
        ("viewer", 403),
        ("member_a", 403),  # their own record: visible, but not this way
        ("secretary_b", 404),
        ("other_orgdept", 404),
    ],
)
def test_reveal_is_refused_without_view_sensitive(login_as, member_a, persona, status):
    response = login_as(persona).post(reveal_url(member_a))
    assert response.status_code == status
    assert member_a.id_number not in response.text and member_a.phone not in response.text
    assert not access_entries(member_a).exists()


def test_reveal_sends_anonymous_to_login(login_as, member_a):
    response = login_as("anonymous").post(reveal_url(member_a))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_reveal_of_an_unknown_member_is_404(login_as, tree):
    assert login_as("orgdept").post(reverse("members:reveal", args=[987654])).status_code == 404


def test_pages_and_exports_follow_one_rule(member_a, orgdept, secretary_a):
    """Masked on pages whoever looks; in full only by an explicit act of a user with view_sensitive."""
    assert member_a.id_number_for(orgdept, explicit=False) == member_a.id_number_masked
    assert member_a.phone_for(orgdept, explicit=False) == member_a.phone[:3] + "****" + member_a.phone[-4:]
    assert member_a.id_number_for(orgdept, explicit=True) == member_a.id_number
    assert member_a.phone_for(orgdept, explicit=True) == member_a.phone
    assert member_a.id_number_for(secretary_a, explicit=True) == member_a.id_number_masked
    assert member_a.phone_for(secretary_a, explicit=True) != member_a.phone
