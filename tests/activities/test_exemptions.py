"""不列入应到: standing exemptions with the higher organization's consent, their service and pages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import exemptions, services
from activities.errors import ActivityError
from activities.expected import expected_members, is_expected
from activities.models import Activity, ExpectedExemption

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _add(member, *, by=None, **fields):
    today = timezone.localdate()
    values = {
        "reason": ExpectedExemption.Reason.ABROAD,
        "starts_on": today,
        "consenting_org": "城关镇党委",
        "consent_on": today,
        **fields,
    }
    return exemptions.exemption_add(member=member, by=by, **values)


def test_an_exemption_is_recorded_with_who_did_it(member_a, secretary_a):
    row = _add(member_a, by=secretary_a, document_number="城委〔2026〕1号")
    assert row.recorded_by == secretary_a and row.ends_on is None and row.document_number == "城委〔2026〕1号"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"consenting_org": "  "}, "consent_required"),
        ({"reason": "holiday"}, "reason_required"),
        ({"ends_on": "yesterday"}, "ends_before_start"),
        ({"consent_on": "tomorrow"}, "future_consent"),
    ],
)
def test_an_exemption_without_consent_or_with_bad_dates_is_refused(member_a, fields, code):
    today = timezone.localdate()
    days = {"yesterday": today - DAY, "tomorrow": today + DAY}
    with pytest.raises(ActivityError) as excinfo:
        _add(member_a, **{k: days.get(v, v) for k, v in fields.items()})
    assert excinfo.value.code == code
    assert not ExpectedExemption.objects.exists()


def test_exemptions_of_one_member_do_not_overlap(member_a):
    today = timezone.localdate()
    _add(member_a, starts_on=today, ends_on=today + 10 * DAY)
    with pytest.raises(ActivityError) as excinfo:
        _add(member_a, starts_on=today + 10 * DAY)  # its first day is the other's last
    assert excinfo.value.code == "overlapping"
    assert _add(member_a, starts_on=today + 11 * DAY)  # the day after is free


def test_ending_an_exemption_puts_the_member_back_on_later_lists(make_activity, tree, member_a, secretary_a):
    today = timezone.localdate()
    row = _add(member_a, starts_on=today - 30 * DAY)
    soon = make_activity(tree.branch_a, start=timezone.now() + 2 * DAY)
    assert not is_expected(soon, member_a)
    exemptions.exemption_end(exemption=row, ends_on=today, by=secretary_a)
    assert is_expected(soon, member_a) and member_a in expected_members(soon)
    with pytest.raises(ActivityError) as excinfo:  # only earlier, never later: a longer one needs consent again
        exemptions.exemption_end(exemption=row, ends_on=today + DAY, by=secretary_a)
    assert excinfo.value.code == "not_earlier"


def test_a_held_meetings_frozen_list_keeps_a_member_exempted_later(make_activity, tree, member_a, secretary_a):
    activity = make_activity(tree.branch_a)
    services.activity_hold(activity=activity, by=secretary_a, now=activity.starts_at)
    _add(member_a, starts_on=timezone.localdate() - 30 * DAY)
    assert is_expected(activity, member_a)


def test_the_first_and_last_days_are_covered(make_activity, tree, member_a):
    start = timezone.localtime(timezone.now() + 3 * DAY).replace(hour=9, minute=0)
    activity = make_activity(tree.branch_a, Activity.Kind.THEME_DAY, start=start)
    row = _add(member_a, starts_on=start.date(), ends_on=start.date())
    assert not is_expected(activity, member_a)
    row.starts_on = row.ends_on = start.date() + DAY
    row.save()
    assert is_expected(activity, member_a)


# --- pages ------------------------------------------------------------------------------------


def _url(tree) -> str:
    return reverse("activities:exemptions", args=[tree.branch_a.code])


def _post(member, **extra) -> dict:
    today = timezone.localdate().isoformat()
    return {
        "member": member.pk,
        "reason": "bedridden",
        "starts_on": today,
        "consenting_org": "城关镇党委",
        "consent_on": today,
        **extra,
    }


@pytest.mark.parametrize(("persona", "status"), [("secretary_b", 404), ("other_orgdept", 404), ("viewer", 403)])
def test_the_exemptions_page_refuses_the_wrong_user(login_as, tree, member_a, persona, status):
    client = login_as(persona)
    assert client.get(_url(tree)).status_code == status
    assert client.post(_url(tree), _post(member_a)).status_code == status
    assert not ExpectedExemption.objects.exists()


def test_the_secretary_records_an_exemption_and_the_member_page_shows_it(login_as, tree, member_a, secretary_a):
    client = login_as("secretary_a")
    response = client.post(_url(tree), _post(member_a, document_number="城委〔2026〕2号"))
    assert response.status_code == 302
    row = ExpectedExemption.objects.get()
    assert row.member == member_a and row.recorded_by == secretary_a
    page = client.get(reverse("members:detail", args=[member_a.pk])).content.decode()
    assert "长期卧床" in page and "城关镇党委" in page


def test_the_form_says_what_is_missing_and_writes_nothing(login_as, tree, member_a):
    response = login_as("secretary_a").post(_url(tree), _post(member_a, consenting_org=""))
    assert response.status_code == 400 and not ExpectedExemption.objects.exists()
    assert response.context["form"].errors["consenting_org"]


def test_ending_from_the_page_is_refused_to_the_wrong_user(login_as, member_a):
    row = _add(member_a, starts_on=timezone.localdate() - 5 * DAY)
    url = reverse("activities:exemption_end", args=[row.pk])
    data = {"ends_on": timezone.localdate().isoformat()}
    assert login_as("secretary_b").post(url, data).status_code == 404
    assert login_as("viewer").post(url, data).status_code == 403
    row.refresh_from_db()
    assert row.ends_on is None
    assert login_as("secretary_a").post(url, data).status_code == 302
    row.refresh_from_db()
    assert row.ends_on == timezone.localdate()


def test_the_page_runs_the_same_queries_for_any_number_of_rows(login_as, tree, django_assert_num_queries):
    from tests.factories import MemberFactory

    client = login_as("secretary_a")
    for _ in range(3):
        _add(MemberFactory(branch=tree.branch_a))
    client.get(_url(tree))
    # session, user, grants, branch, the rows, the form's members (exists and choices)
    with django_assert_num_queries(7):
        assert client.get(_url(tree)).status_code == 200
    for _ in range(10):
        _add(MemberFactory(branch=tree.branch_a))
    with django_assert_num_queries(7):
        assert len(client.get(_url(tree)).context["rows"]) == 13
