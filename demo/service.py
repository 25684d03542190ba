"""在职党员报到 and a year of residents' requests in the demo (service/, docs/rules/service.md).

A community (the first 社区党委 of the tree, else the first 党总支) gets grids named after the branches
below it and six service posts and a volunteer team (its leader and four members); 30 members (employed ones first) from the three branches with the most employed
members report there (a few of them more than six months ago, so their registration waits for confirmation), and those
three branches report as units. Then a year of requests in every state, written through the services
(so each has its steps) and dated afterwards: mostly rated, some done and waiting for a rating, a few
reopened after a low rating, closed with a reason, in progress, dispatched (every other one past its deadline) and new.
Every tenth request goes to the team: its completion credits the hours to the leader and members who took part
(all of them, but one member unticked every other time).
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Count, Q
from django.utils import timezone

from branches.models import Branch
from members.models import Member, Position
from members.services import position_appoint, position_sync_grants
from service import services
from service.models import Registration, ServiceRequest, ServiceRequestEvent

from .seeding import DEMO_PASSWORD

POSTS = (
    ("便民利民", "家电维修、代买代办"),
    ("就业指导", "求职咨询、技能培训信息"),
    ("卫生保健", "健康咨询、陪同就医"),
    ("法律援助", "法律咨询、调解协助"),
    ("矛盾调解", "邻里纠纷调解"),
    ("楼栋长", "联系楼栋住户"),
)
TEXTS = {
    "daily": ("楼道灯坏了，晚上看不清楼梯", "家里水管漏水，老人不会修", "想请人帮忙代缴水电费"),
    "jobs": ("孩子大学毕业，想了解社区招聘信息", "想参加家政技能培训"),
    "health": ("独居老人需要有人陪同去医院复查", "想请人讲讲高血压饮食"),
    "legal": ("房屋租赁合同有纠纷，想咨询", "工资被拖欠，不知道怎么维权"),
    "dispute": ("楼上装修噪音太大，协商不成", "楼下车位被长期占用"),
    "elderly": ("腿脚不便，想请人帮忙买菜", "轮椅坏了，想找人修理"),
    "other": ("小区健身器材损坏", "楼前绿地有垃圾堆放"),
}
NAMES = ("张阿姨", "李大爷", "王女士", "陈先生", "林奶奶", "黄师傅", "吴女士", "郑大爷")
COMMENTS = {5: "非常及时，感谢党员同志", 4: "服务很好", 3: "基本解决了", 2: "没有彻底解决", 1: "一直没人来"}
REQUESTS = 120
# Hours before ``now`` the open requests were made: a dispatch follows within 20 hours, an acceptance within
# 30 more, so every step is past; every other dispatched one is 80 hours old, past its 48-hour deadline.
OPEN_AGES = {"new": (2, 40), "dispatched": (22, 40), "in_progress": (52, 70)}
REGISTERED = 30


def _community(root: Branch) -> Branch:
    found = Branch.objects.filter(path__startswith=root.path, kind=Branch.Kind.COMMITTEE, name__endswith="社区党委")
    return found.first() or Branch.objects.filter(path__startswith=root.path, kind=Branch.Kind.GENERAL_BRANCH).first()


def _units(root: Branch, community: Branch) -> list[Branch]:
    employed = Q(members__is_active=True, members__occupation=Member.Occupation.EMPLOYED)
    return list(
        Branch.objects.filter(path__startswith=root.path, kind=Branch.Kind.BRANCH)
        .exclude(path__startswith=community.path)
        .annotate(n=Count("members", filter=employed))
        .filter(n__gt=0)
        .order_by("-n", "path")[:3]
    )


def _grid_head(result, community: Branch, today: datetime.date) -> None:
    """``gridhead``: a member of the community's subtree holding no position, appointed its 网格长 (the board,
    dispatching, closing, the posters: docs/rules/service.md), whose account the seed vouches for as the
    organization department would, as for the other demo accounts (demo.seeding._write_users)."""
    holders = Position.objects.filter(ended_on=None).values("member_id")
    member = (
        Member.objects.filter(branch__path__startswith=community.path, is_active=True, user=None)
        .exclude(pk__in=holders)
        .order_by("pk")
        .first()
    )
    if member is None:
        return
    user = get_user_model().objects.create(
        username="gridhead", first_name=member.name, password=make_password(DEMO_PASSWORD)
    )
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    position_appoint(member=member, branch=community, title=Position.Title.GRID_LEADER, on=today, by=None)
    member.positions.filter(ended_on=None).update(grant_confirmed_at=timezone.now())
    position_sync_grants(member=member)
    result.logins.append(("gridhead", f"{community.name}网格长 {member.name}（诉求看板：派单、关闭诉求）"))


def _registrants(units: list[Branch]) -> list[Member]:
    """``REGISTERED`` members of the units, employed ones first (a small demo tree has too few of them alone),
    taken from each unit in turn."""
    queues = [list(Member.objects.filter(branch=u, is_active=True)) for u in units]
    for queue in queues:
        queue.sort(key=lambda m: (m.occupation != Member.Occupation.EMPLOYED, m.pk))
    chosen: list[Member] = []
    while len(chosen) < REGISTERED and any(queues):
        for queue in queues:
            if queue and len(chosen) < REGISTERED:
                chosen.append(queue.pop(0))
    return chosen


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    moment = datetime.time(rng.randint(8, 20), rng.choice((0, 15, 30, 45)))
    return datetime.datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


def _fate(i: int, rng: random.Random) -> str:
    """What became of the i-th request of the year (oldest first): the last ones are still open."""
    left = REQUESTS - i
    if left <= 8:
        return "new"
    if left <= 14:
        return "dispatched"
    if left <= 22:
        return "in_progress"
    return rng.choices(("rated", "done", "low", "closed"), weights=(70, 15, 6, 6))[0]


def seed_service_year(*, result, rng: random.Random, now: datetime.datetime | None = None) -> str:
    """Registrations and a year of requests at one community; a summary line."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    community = _community(result.root)
    if community is None:
        return "报到与为民服务：没有可接受报到的社区"
    names = [
        b.name.removesuffix("党支部")
        for b in Branch.objects.filter(path__startswith=community.path, depth=community.depth + 1)
    ]
    grids = [services.grid_create(community=community, name=f"{name}网格", by=None) for name in names[:4]]
    grids = grids or [services.grid_create(community=community, name="第一网格", by=None)]
    posts = [services.post_create(community=community, name=n, description=d, by=None) for n, d in POSTS]
    units = _units(result.root, community)
    registrations = []
    for unit in units:
        services.unit_registration_create(
            unit=unit,
            community=community,
            contact_name="组织委员",
            contact_phone=f"1390000{unit.pk % 10000:04d}",
            by=None,
            today=today - datetime.timedelta(days=330),
        )
    for member in _registrants(units):
        registered = today - datetime.timedelta(days=rng.randint(200, 360))
        registrations.append(
            services.registration_create(
                member=member,
                community=community,
                grid=rng.choice(grids),
                post=rng.choice(posts),
                skills=rng.choice(("", "水电维修", "电脑", "法律", "护理", "驾驶")),
                by=None,
                today=registered,
            )
        )
    # Most confirmed within the half year; every seventh waits for confirmation.
    for i, reg in enumerate(registrations):
        reg.confirmed_on = today - datetime.timedelta(days=rng.randint(200, 230) if i % 7 == 3 else rng.randint(5, 150))
    Registration.objects.bulk_update(registrations, ["confirmed_on"])
    current = [r for i, r in enumerate(registrations) if i % 7 != 3]
    team = (
        services.team_create(community=community, name="红色先锋志愿服务队", leader=current[0].member, by=None)
        if current
        else None
    )
    for reg in current[1:5] if team is not None else []:
        services.team_member_add(team=team, member=reg.member, by=None, today=today)
    counts = _requests(community=community, grids=grids, current=current, team=team, rng=rng, now=now)
    _grid_head(result, community, today)
    return (
        f"报到与为民服务：{community.name} {len(grids)} 个网格，{len(registrations)} 名党员、{len(units)} 个单位党组织报到；"
        f"诉求 {sum(counts.values())} 件（"
        + "，".join(f"{ServiceRequest.Status(k).label} {v}" for k, v in sorted(counts.items()))
        + "）"
    )


def _requests(*, community, grids, current, team, rng: random.Random, now) -> dict[str, int]:
    """A year of requests through the services, then dated: each step's time and the request's."""
    if not current:
        return {}
    start = timezone.localdate(now) - datetime.timedelta(days=365)
    days = sorted(rng.randint(0, 350) for _ in range(REQUESTS))  # the last completions before ``now``
    dated_requests, dated_events = [], []
    for i, offset in enumerate(days):
        created = _at(start + datetime.timedelta(days=offset), rng)
        fate = _fate(i, rng)
        if fate in OPEN_AGES:  # the open ones: these last days, every step before ``now``
            hours = 80 if fate == "dispatched" and i % 2 == 0 else rng.randint(*OPEN_AGES[fate])
            created = now - datetime.timedelta(hours=hours)
        category = rng.choice(list(TEXTS))
        reg = rng.choice(current)
        grid = reg.grid or rng.choice(grids)
        to_team = team is not None and i % 10 == 5  # every tenth one goes to the volunteer team, its leader acts
        doer = team.leader if to_team else reg.member
        item, _secret = services.request_create(
            grid=grid,
            category=category,
            text=rng.choice(TEXTS[category]),
            name=rng.choice(NAMES),
            phone=f"13{rng.randint(500000000, 999999999)}",
            by=None,
        )
        times = [created]
        if fate == "closed":
            services.request_close(request=item, reason=rng.choice(("重复提交", "不属于社区服务范围")), by=None)
            times.append(created + datetime.timedelta(hours=rng.randint(1, 24)))
        elif fate != "new":
            dispatched = created + datetime.timedelta(hours=rng.randint(1, 20))
            target = {"team": team} if to_team else {"member": doer}
            services.request_dispatch(request=item, by=None, now=dispatched, **target)
            times.append(dispatched)
            if fate != "dispatched":
                accepted = dispatched + datetime.timedelta(hours=rng.randint(1, 30))
                services.request_accept(request=item, member=doer, by=None, now=accepted)
                times.append(accepted)
            if fate in ("rated", "done", "low"):
                completed = times[-1] + datetime.timedelta(hours=rng.randint(2, 90))
                hours = rng.choice(("0.5", "1", "1.5", "2", "3"))
                took_part = services.team_members(team)[:-1] if to_team and i % 20 == 15 else None
                services.request_complete(
                    request=item,
                    member=doer,
                    hours=hours,
                    note="已办结",
                    by=None,
                    now=completed,
                    participants=took_part,
                )
                times.append(completed)
                if fate != "done":
                    stars = rng.choice((1, 2)) if fate == "low" else rng.choice((3, 4, 5, 5, 5))
                    item.refresh_from_db()
                    services.request_rate(
                        request=item, token=services.rating_token(item), stars=stars, comment=COMMENTS[stars]
                    )
                    times.append(completed + datetime.timedelta(hours=rng.randint(2, 48)))
        item.refresh_from_db()
        events = list(ServiceRequestEvent.objects.filter(request=item).order_by("pk"))
        step = -1
        for event in events:  # a reopening is logged with its rating, at the same time
            if event.kind != ServiceRequestEvent.Kind.REOPENED:
                step += 1
            event.at = times[min(step, len(times) - 1)]
        dated_events += events
        item.created_at = created
        if item.completed_at:
            item.completed_at = next(e.at for e in events if e.kind == ServiceRequestEvent.Kind.COMPLETED)
        dated_requests.append(item)
    ServiceRequestEvent.objects.bulk_update(dated_events, ["at"], batch_size=500)
    ServiceRequest.objects.bulk_update(dated_requests, ["created_at", "completed_at"], batch_size=500)
    counts: dict[str, int] = {}
    for row in ServiceRequest.objects.filter(community=community).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
