"""Computing a subtree's health checks from attendance, leave, dues, volunteer hours and records."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity
from health import rubric as rules
from health.models import HealthCheck, HealthCheckEvent
from health.services import HealthError, health_checks_approve, health_checks_compute, health_checks_submit, rubric_save
from members.models import Commendation, Sanction
from members.services import member_transfer
from tests.factories import MemberFactory
from tests.health.builders import ABSENT, LEAVE, PRESENT, approved_leave, attend, dues_month, held, meeting, months

K = Activity.Kind
D = Decimal
Y = 2025


def day(month: int, d: int = 15) -> datetime.date:
    return datetime.date(Y, month, d)


def check_of(member, period=str(Y)) -> HealthCheck:
    return HealthCheck.objects.get(member=member, period=period)


def item(check: HealthCheck, key: str) -> tuple[Decimal, str]:
    row = next(i for i in check.items if i["key"] == key)
    return D(row["score"]), row["found"]


def test_compute_scores_each_item_from_the_records(tree, member_a):
    other = MemberFactory(branch=tree.branch_a)
    for m in (3, 6, 9):
        meeting(tree.branch_a, K.GROUP_MEETING, day(m), {member_a: PRESENT, other: PRESENT})
    meeting(tree.branch_a, K.PARTY_LECTURE, day(4), {member_a: ABSENT, other: PRESENT})
    assembly = meeting(tree.branch_a, K.BRANCH_ASSEMBLY, day(5), {member_a: LEAVE, other: PRESENT})
    approved_leave(assembly, member_a)
    meeting(tree.branch_a, K.THEME_DAY, day(7), {member_a: PRESENT})
    meeting(tree.branch_a, K.THEME_DAY, day(8), {member_a: ABSENT})
    service = held(tree.branch_a, K.VOLUNTEER, day(10))
    attend(service, member_a, expected=False, hours="7.5")
    attend(held(tree.branch_a, K.VOLUNTEER, day(11)), member_a, expected=False, hours="4.5")
    for month in months(Y):
        dues_month(member_a, month)
    Commendation.objects.create(member=member_a, level="town", title="优秀党员", awarded_on=day(6))
    Sanction.objects.create(member=member_a, kind="criticism", imposed_on=day(8))

    result = health_checks_compute(period=str(Y), branch=tree.town)

    check = check_of(member_a)
    assert (result.created, check.branch_id, check.status) == (2, tree.branch_a.pk, "draft")
    assert item(check, "meetings") == (D("30.00"), "3/4")  # 40 × 3 present of 5 expected − 1 leave
    assert item(check, "theme_day") == (D("10.00"), "1/2")
    assert item(check, "dues") == (D("20.00"), "按月足额缴纳 12/12 个月")
    assert item(check, "volunteer") == (D("10.00"), "12/24 小时")
    assert (check.bonus, check.deduction, check.vetoed) == (D("3.00"), D("5.00"), False)
    # 30 + 10 + 20 + 10 + 3 − 5
    assert (check.subtotal, check.total, check.grade) == (D("68.00"), D("68.00"), "basic")
    assert check.rubric is None and check.rubric_snapshot == rules.default_rubric()


def test_dues_count_only_months_paid_in_full_within_the_allowed_delay(tree, member_a):
    for month in months(Y, 1, 8):
        if month.month != 3:
            dues_month(member_a, month)
    dues_month(member_a, datetime.date(Y, 3, 1), paid_on=datetime.date(Y, 10, 1))  # a day after 30 September
    dues_month(member_a, datetime.date(Y, 9, 1), paid_on=datetime.date(Y + 1, 3, 31))  # late, within 6 months
    dues_month(member_a, datetime.date(Y, 10, 1), paid="5")  # short
    dues_month(member_a, datetime.date(Y, 11, 1), paid="0")  # unpaid
    dues_month(member_a, datetime.date(Y, 12, 1), paid="12")  # more than due
    dues_month(member_a, datetime.date(Y + 1, 1, 1), paid="0")  # another period
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    assert item(check_of(member_a), "dues") == (D("15.00"), "按月足额缴纳 9/12 个月")


def test_leave_is_what_the_sheet_says_whatever_the_request(tree, member_a):
    """An approved request whose row was later recorded 缺席 counts as absent: the sheet is the record."""
    lecture = meeting(tree.branch_a, K.PARTY_LECTURE, day(3), {member_a: ABSENT})
    approved_leave(lecture, member_a)
    meeting(tree.branch_a, K.PARTY_LECTURE, day(6), {member_a: PRESENT})
    meeting(tree.branch_a, K.PARTY_LECTURE, day(9), {member_a: LEAVE})  # 请假 on the sheet
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    assert item(check_of(member_a), "meetings") == (D("20.00"), "1/2")


def test_only_held_activities_of_the_period_count(tree, member_a):
    meeting(tree.branch_a, K.THEME_DAY, day(3), {member_a: PRESENT})
    planned = held(tree.branch_a, K.THEME_DAY, day(4), status=Activity.Status.PLANNED)
    attend(planned, member_a, ABSENT)
    cancelled = held(tree.branch_a, K.THEME_DAY, day(5), status=Activity.Status.CANCELLED)
    attend(cancelled, member_a, ABSENT)
    meeting(tree.branch_a, K.THEME_DAY, datetime.date(Y + 1, 1, 1), {member_a: ABSENT})
    meeting(tree.branch_a, K.THEME_DAY, datetime.date(Y - 1, 12, 31), {member_a: ABSENT})
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    assert item(check_of(member_a), "theme_day") == (D("20.00"), "1/1")


def test_nothing_expected_scores_full_points(tree, member_a):
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    check = check_of(member_a)
    assert [D(i["score"]) for i in check.items] == [D(40), D(20), D(20), D(0)]  # 24 hours were expected
    assert check.total == D("80.00")


def test_a_quarter_expects_six_volunteer_hours(tree, member_a):
    attend(held(tree.branch_a, K.VOLUNTEER, day(8)), member_a, expected=False, hours=6)
    health_checks_compute(period=f"{Y}Q3", branch=tree.branch_a)
    assert item(check_of(member_a, f"{Y}Q3"), "volunteer") == (D("20.00"), "6/6 小时")


def test_mid_year_joiner_is_scored_on_their_months_only(tree):
    joiner = MemberFactory(
        branch=tree.branch_a, status="probationary", confirmed_on=None, joined_on=datetime.date(Y, 7, 10)
    )
    meeting(tree.branch_a, K.THEME_DAY, day(8), {joiner: PRESENT})
    for month in months(Y, 7, 12):
        dues_month(joiner, month)
    attend(held(tree.branch_a, K.VOLUNTEER, day(9)), joiner, expected=False, hours=12)
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    check = check_of(joiner)
    assert item(check, "dues")[1] == "按月足额缴纳 6/6 个月"
    assert item(check, "volunteer") == (D("20.00"), "12/12 小时")
    assert check.total == D("100.00")


def test_members_off_the_roster_for_the_whole_period_get_no_check(tree, member_a):
    MemberFactory(branch=tree.branch_a, is_active=False, left_on=datetime.date(Y - 1, 12, 31))
    MemberFactory(branch=tree.branch_a, joined_on=datetime.date(Y + 1, 1, 1))
    left = MemberFactory(branch=tree.branch_a, is_active=False, left_on=datetime.date(Y, 3, 31))
    attend(held(tree.branch_a, K.VOLUNTEER, day(2)), left, expected=False, hours=6)
    health_checks_compute(period=str(Y), branch=tree.town)
    assert set(HealthCheck.objects.values_list("member_id", flat=True)) == {member_a.pk, left.pk}
    assert item(check_of(left), "volunteer") == (D("20.00"), "6/6 小时")


def test_a_transferred_member_is_scored_on_both_branches_expectations(tree, member_a, secretary_a):
    mover = MemberFactory(branch=tree.branch_b)
    meeting(tree.branch_b, K.THEME_DAY, day(2), {mover: PRESENT})
    meeting(tree.branch_b, K.THEME_DAY, day(3), {mover: ABSENT})
    member_transfer(member=mover, to_branch=tree.branch_a, on=day(4, 1), by=secretary_a)
    # A's earlier theme day expected only member_a; the later ones expect the mover too.
    meeting(tree.branch_a, K.THEME_DAY, day(2), {member_a: PRESENT})
    meeting(tree.branch_a, K.THEME_DAY, day(5), {member_a: PRESENT, mover: PRESENT})
    meeting(tree.branch_a, K.THEME_DAY, day(6), {member_a: PRESENT, mover: PRESENT})

    health_checks_compute(period=str(Y), branch=tree.branch_a)

    check = check_of(mover)
    assert check.branch_id == tree.branch_a.pk
    assert item(check, "theme_day") == (D("15.00"), "3/4")
    assert not HealthCheck.objects.filter(branch=tree.branch_b).exists()


def test_party_discipline_in_the_period_vetoes(tree, member_a):
    Sanction.objects.create(member=member_a, kind="serious_warning", imposed_on=day(5), document_number="纪1号")
    Sanction.objects.create(member=member_a, kind="criticism", imposed_on=datetime.date(Y - 1, 5, 1))
    attend(held(tree.branch_a, K.VOLUNTEER, day(2)), member_a, expected=False, hours=24)
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    check = check_of(member_a)
    assert (check.vetoed, check.deduction, check.subtotal, check.total, check.grade) == (
        True,
        D("0.00"),
        D("100.00"),
        D("59.00"),
        "unqualified",
    )


def test_computing_twice_changes_nothing(tree, member_a, member_b):
    meeting(tree.branch_a, K.THEME_DAY, day(2), {member_a: PRESENT})
    dues_month(member_b, datetime.date(Y, 1, 1), paid="0")
    first = health_checks_compute(period=str(Y), branch=tree.town)
    rows = list(HealthCheck.objects.order_by("pk").values())
    events = HealthCheckEvent.objects.count()

    second = health_checks_compute(period=str(Y), branch=tree.town)

    assert (first.created, second.created, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert list(HealthCheck.objects.order_by("pk").values()) == rows
    assert HealthCheckEvent.objects.count() == events == 2


def test_recomputing_updates_a_draft_keeping_its_adjustment(tree, member_a, secretary_a):
    from health.services import health_check_adjust

    health_checks_compute(period=str(Y), branch=tree.branch_a)
    health_check_adjust(check=check_of(member_a), adjustment=D(2), reason="带头参加防汛", by=secretary_a)
    attend(held(tree.branch_a, K.VOLUNTEER, day(2)), member_a, expected=False, hours=24)

    result = health_checks_compute(period=str(Y), branch=tree.branch_a, by=secretary_a)

    check = check_of(member_a)
    assert (result.updated, check.subtotal, check.adjustment, check.total) == (1, D("100.00"), D("2.00"), D("100.00"))
    event = check.events.filter(kind="computed").last()
    assert (event.by, event.detail) == (secretary_a, "总分 82.00 → 100.00")


def test_recomputing_never_touches_submitted_approved_or_published_checks(tree, member_a, secretary_a, orgdept):
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    health_checks_submit(branch=tree.branch_a, period=str(Y), by=secretary_a)
    health_checks_approve(branch=tree.branch_a, period=str(Y), by=orgdept)
    before = list(HealthCheck.objects.values())
    attend(held(tree.branch_a, K.VOLUNTEER, day(2)), member_a, expected=False, hours=24)
    newcomer = MemberFactory(branch=tree.branch_a)

    result = health_checks_compute(period=str(Y), branch=tree.branch_a)

    assert (result.locked, result.created) == (1, 1)
    assert list(HealthCheck.objects.exclude(member=newcomer).values()) == before


def test_the_rubric_in_force_is_the_deepest_and_latest_and_is_snapshotted(tree, member_a, member_b, orgdept):
    town_rubric = rules.default_rubric()
    town_rubric["items"][3]["hours_per_year"] = "12"
    rubric_save(branch=tree.town, year=Y - 1, config=town_rubric, name="城关镇细则", by=orgdept)
    village = rules.default_rubric()
    village["items"][0]["points"], village["items"][3]["points"] = "50", "10"
    rubric_save(branch=tree.village_b, year=Y, config=village, by=orgdept)
    later = rules.default_rubric()
    later["adjustment_limit"] = "3"
    rubric_save(branch=tree.village_b, year=Y + 1, config=later, by=orgdept)

    health_checks_compute(period=str(Y), branch=tree.town)

    a, b = check_of(member_a), check_of(member_b)
    assert (a.rubric.name, a.rubric_snapshot["items"][3]["hours_per_year"]) == ("城关镇细则", "12")
    assert item(a, "volunteer")[1] == "0/12 小时"
    assert b.rubric.year == Y and b.rubric_snapshot == village
    assert item(b, "meetings")[0] == D("50.00")


def test_an_invalid_rubric_is_refused(tree, orgdept):
    broken = rules.default_rubric()
    broken["items"][0]["points"] = "90"
    with pytest.raises(HealthError) as exc:
        rubric_save(branch=tree.town, year=Y, config=broken, by=orgdept)
    assert exc.value.code == "invalid_rubric"


def test_only_the_organization_department_saves_a_rubric(tree, secretary_a):
    with pytest.raises(HealthError) as exc:
        rubric_save(branch=tree.branch_a, year=Y, config=rules.default_rubric(), by=secretary_a)
    assert exc.value.code == "forbidden"


def test_an_unknown_period_is_refused(tree):
    with pytest.raises(HealthError) as exc:
        health_checks_compute(period="2025-10", branch=tree.town)
    assert exc.value.code == "invalid_period"


def _populate(tree, n: int) -> None:
    members = [MemberFactory(branch=tree.branch_a if i % 2 else tree.branch_b) for i in range(n)]
    for branch in (tree.branch_a, tree.branch_b):
        on_roster = [m for m in members if m.branch_id == branch.pk]
        meeting(branch, K.THEME_DAY, day(3), dict.fromkeys(on_roster, PRESENT))
        service = held(branch, K.VOLUNTEER, day(4))
        for m in on_roster:
            attend(service, m, expected=False, hours=3)
    for m in members:
        dues_month(m, datetime.date(Y, 1, 1))
        Commendation.objects.create(member=m, level="branch", title="优秀", awarded_on=day(5))
        Sanction.objects.create(member=m, kind="criticism", imposed_on=day(6))


def _queries(tree, n: int) -> tuple[int, int]:
    _populate(tree, n)
    with CaptureQueriesContext(connection) as first:
        health_checks_compute(period=str(Y), branch=tree.town)
    assert HealthCheck.objects.count() == n
    Sanction.objects.all().delete()  # every check changes: the second run updates them all
    with CaptureQueriesContext(connection) as second:
        health_checks_compute(period=str(Y), branch=tree.town)
    HealthCheckEvent.objects.all().delete()
    HealthCheck.objects.all().delete()
    from members.models import Commendation as C
    from members.models import DuesPayment, Member

    Activity.objects.all().delete()
    DuesPayment.objects.all().delete()
    C.objects.all().delete()
    Member.objects.all().delete()
    return len(first.captured_queries), len(second.captured_queries)


def test_computation_runs_the_same_queries_for_3_or_30_members(tree):
    small = _queries(tree, 3)
    assert small == _queries(tree, 30)
    assert (
        small[0] <= 18
    )  # 14, the transfers of the roster's movers, the stale drafts' look-up, the new checks' ids, the service hours (issue 16)


def test_a_check_created_and_submitted_by_a_concurrent_computation_is_not_overwritten(tree, member_a, monkeypatch):
    """The computation read no check for the member (another one created it after that read, and the
    branch submitted it): inserting must not rewrite it, as an upsert would."""
    health_checks_compute(period=str(Y), branch=tree.branch_a)
    check = check_of(member_a)
    HealthCheck.objects.filter(pk=check.pk).update(status="submitted", total=D("12.34"))
    from health import selectors

    real = selectors.existing_checks
    monkeypatch.setattr(
        selectors, "existing_checks", lambda **kw: {k: v for k, v in real(**kw).items() if k != member_a.pk}
    )
    events = HealthCheckEvent.objects.filter(health_check=check).count()

    result = health_checks_compute(period=str(Y), branch=tree.branch_a)

    check.refresh_from_db()
    assert (check.status, check.total) == ("submitted", D("12.34"))
    assert HealthCheckEvent.objects.filter(health_check=check).count() == events  # nothing logged for it
    assert result.created == 0 and result.unchanged >= 1
