"""Demo and scale data written: the plan of ``demo.plan`` with its users, in a handful of ``bulk_create``.

``seed_build`` computes treebeard's materialized paths itself and writes the tree, members,
positions, history and the demo users in one transaction; ``demo.year`` adds a year of dues and
activities to what it wrote.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from branches import access
from branches.models import Branch
from members import crypto
from members.models import Member, MemberEvent, Position
from members.services import position_sync_grants

from .plan import Plan, PlannedMember, Scale, SeedError, Title, seed_plan

DEMO_PASSWORD = "partysite-demo"
BATCH_SIZE = 2000


@dataclass
class SeedResult:
    plan: Plan
    root: Branch
    logins: list[tuple[str, str]]  # (username, who)


# ---------------------------------------------------------------- writing


def _write_branches(plan: Plan) -> None:
    rows = [
        Branch(path=b.path, depth=len(b.path) // Branch.steplen, numchild=len(b.children), name=b.name, kind=b.kind,
               code=b.code, grid_name=b.grid_name, established_on=b.established_on)
        for b in plan.branches
    ]  # fmt: skip
    Branch.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    pks = dict(Branch.objects.filter(path__startswith=plan.root.path).values_list("path", "pk"))
    for b in plan.branches:
        b.pk = pks[b.path]


def _member_row(m: PlannedMember) -> Member:
    return Member(
        name=m.name, sex=m.sex, ethnicity=m.ethnicity, birth_date=m.birth_date,
        id_number_encrypted=crypto.encrypt(m.id_number), id_number_digest=crypto.digest(m.id_number), education=m.education, phone=m.phone,
        branch_id=m.branch.pk, group_id=m.group.pk if m.group else None,
        household_id=m.household.pk if m.household else None, occupation=m.occupation,
        situation=m.situation, status=m.status,
        joined_on=m.joined_on, confirmed_on=m.confirmed_on, is_active=m.is_active, left_on=m.left_on,
        left_reason=m.left_reason,
    )  # fmt: skip


def _write_members(plan: Plan) -> None:
    rows = Member.objects.bulk_create([_member_row(m) for m in plan.members], batch_size=BATCH_SIZE)
    for planned, row in zip(plan.members, rows, strict=True):
        planned.pk = row.pk
    if any(m.pk is None for m in plan.members):  # a backend that returns no keys from a bulk insert
        pks = dict(Member.objects.values_list("id_number_digest", "pk"))
        for m in plan.members:
            m.pk = pks[crypto.digest(m.id_number)]
    positions = [Position(member_id=p.member.pk, branch_id=p.branch.pk, title=p.title, started_on=p.started_on)
                 for p in plan.positions]  # fmt: skip
    Position.objects.bulk_create(positions, batch_size=BATCH_SIZE)
    Event = MemberEvent.Kind
    events = [MemberEvent(member_id=m.pk, kind=Event.CREATED, occurred_on=m.joined_on, to_branch_id=m.branch.pk,
                          detail="演示数据") for m in plan.members]  # fmt: skip
    events += [
        MemberEvent(member_id=p.member.pk, kind=Event.POSITION, occurred_on=p.started_on, to_branch_id=p.branch.pk,
                    detail=f"任{p.branch.name}{Title(p.title).label}")
        for p in plan.positions
    ]  # fmt: skip
    events += [
        MemberEvent(member_id=m.pk, kind=Event.LEFT, occurred_on=m.left_on, from_branch_id=m.branch.pk,
                    detail=Member.LeftReason(m.left_reason).label)
        for m in plan.members if not m.is_active
    ]  # fmt: skip
    MemberEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def _write_users(plan: Plan, root: Branch) -> list[tuple[str, str]]:
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: the same password for every demo user
    orgdept = User.objects.create(username="orgdept", first_name="组织部", password=password)
    for perm in (access.MANAGE, access.REVIEW, access.SENSITIVE):
        access.grant(orgdept, perm, root)
    logins = [("orgdept", f"{root.name}组织部（管理、审核、查看敏感信息）")]
    for username, planned in plan.accounts.items():
        user = User.objects.create(username=username, first_name=planned.name, password=password)
        member = Member.objects.select_related("branch").get(pk=planned.pk)
        member.user = user
        member.save(update_fields=["user", "updated_at"])
        # The seed stands for the organization department that vouched for its demo accounts (as an
        # activation code would): their positions' grants are confirmed (services.position_grant_vouched).
        member.positions.filter(ended_on__isnull=True).update(grant_confirmed_at=timezone.now())
        position_sync_grants(member=member)  # a secretary manages their branch through the position
        who = (
            f"{member.branch.name}书记 {member.name}"
            if username != "member"
            else f"{member.branch.name}党员 {member.name}"
        )
        if username == "member":
            who += f"（也可用手机号 {member.phone} 登录）"
        logins.append((username, who))
    return logins


def seed_build(*, scale: Scale, seed: int = 1, today: datetime.date | None = None) -> SeedResult:
    """Write the plan of ``scale`` into an empty tree, with its users, in one transaction."""
    today = today or timezone.localdate()
    if Branch.objects.exists():
        raise SeedError("数据库中已有党组织，演示数据只能载入空库", code="not_empty")
    plan = seed_plan(scale=scale, seed=seed, today=today)
    with transaction.atomic():
        _write_branches(plan)
        _write_members(plan)
        root = Branch.objects.get(pk=plan.root.pk)
        logins = _write_users(plan, root)
    _analyze([Branch, Member, Position, MemberEvent])
    return SeedResult(plan, root, logins)


def _analyze(models) -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would only later.

    Without them PostgreSQL plans the first queries as if the tables were still empty
    (a roster page of the city took 350 ms instead of 10 ms).
    """
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def bulk_create_all(model, objects: Iterable, *, batch_size: int = BATCH_SIZE) -> int:
    """``bulk_create`` a stream of unsaved ``objects``, one batch at a time; returns how many.

    As the roster import writes: plain ``bulk_create``, every foreign key checked by the database
    as it goes. A year of the city is 1.5 million attendance rows, so they never sit in memory at once.
    """
    objects, count = iter(objects), 0
    while batch := list(itertools.islice(objects, batch_size)):
        model.objects.bulk_create(batch)
        count += len(batch)
    return count
