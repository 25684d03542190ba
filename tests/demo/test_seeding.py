import datetime
from collections import Counter

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from branches import access
from branches.models import Branch
from demo.plan import SCALES, Scale, SeedError, seed_newcomers, seed_plan
from demo.seeding import DEMO_PASSWORD, seed_build
from members.models import Member, MemberEvent, Position
from members.rules import MemberData, check_member
from tests.factories import make_branch

TODAY = datetime.date(2026, 11, 21)
# Two towns with every kind of node, small enough to write in a second.
TINY = Scale("tiny", organizations=40, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14)


def _parent_kinds(branches):
    by_path = {b.path: b for b in branches}
    return [
        (by_path[b.path[: -Branch.steplen]].kind if len(b.path) > Branch.steplen else None, b.kind) for b in branches
    ]


def _assert_tree_rules(branches):
    for parent_kind, kind in _parent_kinds(branches):
        if parent_kind is None:
            assert kind in Branch.ROOT_KINDS
        else:
            assert kind in Branch.ALLOWED_CHILDREN[parent_kind], (parent_kind, kind)


def test_same_seed_gives_same_names_id_numbers_and_tree():
    first = seed_plan(scale=SCALES["demo"], seed=7, today=TODAY)
    again = seed_plan(scale=SCALES["demo"], seed=7, today=TODAY)
    other = seed_plan(scale=SCALES["demo"], seed=8, today=TODAY)

    def fingerprint(plan):
        return [(b.path, b.name, b.code) for b in plan.branches], [(m.name, m.id_number) for m in plan.members]

    assert fingerprint(first) == fingerprint(again)
    assert fingerprint(first)[1] != fingerprint(other)[1]


@pytest.mark.parametrize(
    ("scale", "seed"),
    [(SCALES["demo"], 1), (SCALES["demo"], 2), (TINY, 1), (TINY, 2), (SCALES["city"], 1)],
    ids=["demo-1", "demo-2", "tiny-1", "tiny-2", "city-1"],
)
def test_plan_has_exactly_the_scales_organizations_and_members(scale, seed):
    plan = seed_plan(scale=scale, seed=seed, today=TODAY)

    assert len(plan.branches) == scale.organizations
    assert len(plan.members) == scale.members
    assert plan.count(Branch.Kind.HOUSEHOLD) == scale.households
    assert len({m.id_number for m in plan.members}) == scale.members
    _assert_tree_rules(plan.branches)


def test_city_scale_is_the_county_level_city_of_the_design():
    assert (SCALES["city"].organizations, SCALES["city"].members) == (2149, 48909)


def test_inconsistent_scale_is_refused():
    too_small = Scale(
        "bad", organizations=10, members=200, towns=2, villages=4, grids=8, communities=1, compounds=2, groups=14
    )
    with pytest.raises(SeedError) as exc:
        seed_plan(scale=too_small, today=TODAY)
    assert exc.value.code == "invalid_scale"


@pytest.mark.django_db
@pytest.mark.parametrize("scale", [SCALES["demo"], TINY], ids=lambda s: s.name)
def test_written_tree_has_exact_counts_and_valid_treebeard_paths(scale):
    seed_build(scale=scale, seed=3)

    branches = list(Branch.objects.all())
    assert len(branches) == scale.organizations
    assert Member.objects.count() == scale.members
    assert all(not problems for problems in Branch.objects.find_problems())
    _assert_tree_rules(branches)


@pytest.mark.django_db
def test_demo_members_pass_every_roster_rule():
    seed_build(scale=SCALES["demo"], seed=1)

    today = timezone.localdate()
    for m in Member.objects.select_related("branch", "group", "household"):
        data = MemberData(
            name=m.name, id_number=m.id_number, branch=m.branch, joined_on=m.joined_on, status=m.status,
            occupation=m.occupation, situation=m.situation, sex=m.sex, birth_date=m.birth_date, ethnicity=m.ethnicity, education=m.education,
            phone=m.phone, group=m.group, household=m.household, confirmed_on=m.confirmed_on,
        )  # fmt: skip
        assert check_member(data, today=today) == [], m.name


@pytest.mark.django_db
def test_demo_has_probationary_and_departed_members_with_history():
    seed_build(scale=SCALES["demo"], seed=1)

    probationary = Member.objects.filter(status=Member.Status.PROBATIONARY)
    assert 0.05 < probationary.count() / Member.objects.count() < 0.15
    assert not probationary.filter(confirmed_on__isnull=False).exists()
    left = Member.objects.filter(is_active=False)
    assert left.exists()
    assert set(left.values_list("left_reason", flat=True)) <= {
        Member.LeftReason.DIED,
        Member.LeftReason.TRANSFERRED_OUT,
    }
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.LEFT).count() == left.count()
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.CREATED).count() == Member.objects.count()


@pytest.mark.django_db
def test_positions_follow_the_appointment_rules():
    seed_build(scale=SCALES["demo"], seed=1)

    positions = list(Position.objects.select_related("member__branch", "branch"))
    for p in positions:
        assert p.member.is_active
        assert p.member.branch.path.startswith(p.branch.path) or p.branch.path.startswith(p.member.branch.path)
    secretaries = Counter(p.branch_id for p in positions if p.title == Position.Title.SECRETARY)
    assert set(secretaries.values()) == {1}
    homes = Branch.objects.filter(kind=Branch.Kind.BRANCH).values_list("pk", flat=True)
    assert set(homes) <= set(secretaries)
    titles = {p.title for p in positions}
    assert {Position.Title.GROUP_LEADER, Position.Title.GRID_LEADER, Position.Title.HOUSEHOLD_HEAD} <= titles


@pytest.mark.django_db
def test_demo_users_get_their_access():
    result = seed_build(scale=SCALES["demo"], seed=1)
    User = get_user_model()
    orgdept, secretary, secretary2, member_user = (
        User.objects.get(username=u) for u in ("orgdept", "secretary", "secretary2", "member")
    )
    own = Member.objects.select_related("branch").get(user=secretary).branch
    other = Member.objects.select_related("branch").get(user=secretary2).branch

    for perm in (access.MANAGE, access.REVIEW, access.SENSITIVE):
        assert access.has_perm(orgdept, perm, result.root)
    assert own.grid_name and other.grid_name
    assert own.path[: -Branch.steplen] != other.path[: -Branch.steplen]  # two different villages
    assert access.has_perm(secretary, access.MANAGE, own) and not access.can_view(secretary, other)
    assert access.has_perm(secretary2, access.MANAGE, other) and not access.can_view(secretary2, own)
    assert Position.objects.filter(member__user=secretary, branch=own, title=Position.Title.SECRETARY).exists()
    plain = Member.objects.get(user=member_user)
    assert plain.branch_id == own.pk and plain.phone
    assert not access.is_staff_user(member_user)


@pytest.mark.django_db
def test_demo_member_logs_in_with_phone_and_demo_password():
    seed_build(scale=SCALES["demo"], seed=1)
    plain = Member.objects.get(user__username="member")

    assert authenticate(username=plain.phone, password=DEMO_PASSWORD) == plain.user
    passwords = set(get_user_model().objects.values_list("password", flat=True))
    assert len(passwords) == 1  # every demo user has the same demo password


@pytest.mark.django_db
def test_seed_demo_command_prints_demo_only_logins(capsys):
    call_command("seed_demo", "--seed", "2")

    out = capsys.readouterr().out
    assert "仅供演示" in out and DEMO_PASSWORD in out
    for username in ("orgdept", "secretary", "secretary2", "member"):
        assert f"  {username} " in out
    assert Branch.objects.count() == SCALES["demo"].organizations
    groups, households = (Branch.objects.filter(kind=k).count() for k in (Branch.Kind.GROUP, Branch.Kind.HOUSEHOLD))
    organizations = Branch.objects.count() - groups - households
    assert households and f"{organizations:,} 个党组织（另有 {groups:,} 个党小组、{households:,} 个党员中心户）" in out


@pytest.mark.django_db
def test_seed_demo_if_empty_does_nothing_when_a_branch_exists(capsys):
    make_branch(None, Branch.Kind.COMMITTEE, name="已有党委", code="EXISTING")

    call_command("seed_demo", "--if-empty")

    assert Branch.objects.count() == 1 and not Member.objects.exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_that_has_branches():
    make_branch(None, Branch.Kind.COMMITTEE, name="已有党委", code="EXISTING")

    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert Branch.objects.count() == 1


def test_newcomers_have_id_numbers_unlike_the_plans():
    plan = seed_plan(scale=TINY, seed=1, today=TODAY)

    newcomers = seed_newcomers(plan=plan, seed=2, regions=["350203"], today=TODAY)

    assert len(newcomers) == len(plan.members)
    assert not {m.id_number for m in newcomers} & {m.id_number for m in plan.members}
    assert all(m.branch.kind == Branch.Kind.BRANCH for m in newcomers)


@pytest.mark.slow
@pytest.mark.django_db
def test_city_scale_writes_2149_organizations_and_48909_members():
    seed_build(scale=SCALES["city"], seed=1)

    assert Branch.objects.count() == 2149
    assert Member.objects.count() == 48909
    _assert_tree_rules(list(Branch.objects.all()))
    assert all(not problems for problems in Branch.objects.find_problems())
