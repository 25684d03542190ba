"""The plan of the demo and scale data: a deterministic organization tree with members and positions.

Everything is planned in memory (plain objects, no queries) from one ``random.Random`` seeded
with ``seed``, so the same seed gives the same tree, names and ID numbers, and the plan's counts
can be checked without a database; ``demo.seeding`` writes it.

A scale fixes the number of nodes of each kind; households (党员中心户, the leaves) take
whatever remains of ``organizations``, so the total is exact by construction.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from branches.models import Branch
from core.errors import DomainError
from members import names
from members.idnumbers import make_id_number
from members.models import Member, Position
from members.rules import add_years

# 县级行政区划代码 of Fuzhou (福州) and its counties, for ID numbers.
REGIONS = ["350102", "350103", "350104", "350105", "350111", "350121", "350122", "350123", "350124", "350125",
           "350128", "350181", "350182"]  # fmt: skip

Kind = Branch.Kind
Title = Position.Title


class SeedError(DomainError):
    pass


@dataclass(frozen=True)
class Scale:
    """How many nodes of each kind; households fill ``organizations`` up exactly."""

    name: str
    organizations: int
    members: int
    towns: int  # 镇党委 under a city committee; 0: the root itself is the one town
    villages: int  # 村党总支, spread over the towns
    grids: int  # 网格党支部, spread over the villages
    communities: int  # 社区党委, at most one per town
    compounds: int  # 小区党支部, spread over the communities
    groups: int  # 党小组, spread over all member branches

    @property
    def town_count(self) -> int:
        return self.towns or 1

    @property
    def home_count(self) -> int:
        """Branches that keep members: grid and compound branches, and one 机关党支部 per town."""
        return self.grids + self.compounds + self.town_count

    @property
    def households(self) -> int:
        root = 1 if self.towns else 0
        others = root + self.town_count * 2 + self.villages + self.communities + self.grids + self.compounds
        return self.organizations - others - self.groups

    def check(self) -> None:
        problems = []
        if self.households < 0:
            problems.append("组织总数小于各级组织数之和")
        if self.villages < self.town_count or self.grids < self.villages:
            problems.append("每个镇至少一个村、每个村至少一个网格")
        if self.communities > self.town_count or (self.communities and self.compounds < self.communities):
            problems.append("每个镇至多一个社区党委，每个社区党委至少一个小区党支部")
        if self.groups < self.home_count or (self.households and not self.groups):
            problems.append("每个党支部至少一个党小组")
        if self.members < self.groups * 3 + self.home_count * 2:
            problems.append("党员人数太少")
        if problems:
            raise SeedError(f"规模“{self.name}”不成立：" + "；".join(problems), code="invalid_scale")


SCALES = {
    "demo": Scale("demo", organizations=80, members=600, towns=0, villages=5, grids=15, communities=1, compounds=2,
                  groups=30),
    "city": Scale("city", organizations=2149, members=48909, towns=18, villages=150, grids=450, communities=12,
                  compounds=48, groups=900),
}  # fmt: skip


@dataclass(eq=False)
class PlannedBranch:
    kind: str
    name: str
    code: str
    parent: PlannedBranch | None = None
    grid_name: str = ""
    role: str = ""  # "organ" (机关党支部), "grid" (网格党支部), "compound" (小区党支部)
    established_on: datetime.date | None = None
    children: list[PlannedBranch] = field(default_factory=list)
    members: list[PlannedMember] = field(default_factory=list)  # members whose 党支部 (or group) this is
    path: str = ""
    pk: int | None = None


@dataclass(eq=False)
class PlannedMember:
    name: str
    sex: str
    birth_date: datetime.date
    id_number: str
    branch: PlannedBranch
    occupation: str
    situation: str
    status: str
    joined_on: datetime.date
    confirmed_on: datetime.date | None
    education: str
    phone: str
    ethnicity: str = "汉族"
    group: PlannedBranch | None = None
    household: PlannedBranch | None = None
    left_on: datetime.date | None = None
    left_reason: str = ""
    pk: int | None = None

    @property
    def is_active(self) -> bool:
        return self.left_on is None


@dataclass(eq=False)
class PlannedPosition:
    member: PlannedMember
    branch: PlannedBranch
    title: str
    started_on: datetime.date


@dataclass
class Plan:
    scale: Scale
    root: PlannedBranch
    branches: list[PlannedBranch]  # root first, parents before children
    members: list[PlannedMember]
    positions: list[PlannedPosition]
    accounts: dict[str, PlannedMember]  # username -> member, for secretary, secretary2, member

    def count(self, kind: str) -> int:
        return sum(1 for b in self.branches if b.kind == kind)


# ---------------------------------------------------------------- planning


def spread(total: int, minimums: list[int], rng: random.Random) -> list[int]:
    """Split ``total`` into ``len(minimums)`` parts, each at least its minimum, unevenly."""
    counts = list(minimums)
    rest = total - sum(counts)
    if rest < 0:
        raise SeedError("最少数量之和超过总数", code="invalid_scale")
    weights = [rng.uniform(0.4, 1.6) for _ in counts]
    for i, n in Counter(rng.choices(range(len(counts)), weights=weights, k=rest)).items():
        counts[i] += n
    return counts


class _Names:
    """Unique fictional place names and member names, drawn from one generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()
        self.surnames = [s for s, _ in names.SURNAMES]
        self.cum_weights = list(itertools.accumulate(w for _, w in names.SURNAMES))

    def place(self) -> str:
        while True:
            name = self.rng.choice(names.PLACE_FIRST) + self.rng.choice(names.PLACE_SECOND)
            if name[0] != name[1] and name not in self.used:
                self.used.add(name)
                return name

    def person(self, sex: str, birth_year: int) -> str:
        surname = self.rng.choices(self.surnames, cum_weights=self.cum_weights)[0]
        male = sex == Member.Sex.MALE
        if birth_year < 1970 and self.rng.random() < 0.4:
            return surname + self.rng.choice(names.CLASSIC_MALE if male else names.CLASSIC_FEMALE)
        chars = names.MALE_CHARS if male else names.FEMALE_CHARS
        given = self.rng.choice(chars)
        if self.rng.random() < 0.75:  # most given names have two different characters
            given += self.rng.choice(chars.replace(given, ""))
        return surname + given


# Organizations in the demo were all set up before this date (so the data does not depend on today).
_ESTABLISHED_BEFORE = datetime.date(2020, 1, 1)


def _child(parent: PlannedBranch, kind: str, name: str, suffix: str, rng: random.Random, **extra) -> PlannedBranch:
    established = _random_date(rng, parent.established_on, _ESTABLISHED_BEFORE)
    node = PlannedBranch(kind, name, f"{parent.code}{suffix}", parent, established_on=established, **extra)
    parent.children.append(node)
    return node


def _plan_tree(scale: Scale, rng: random.Random, place: _Names) -> PlannedBranch:
    """The tree down to groups and households (households are named after their heads later)."""
    if scale.towns:
        root = PlannedBranch(
            Kind.COMMITTEE, f"中共{names.CITY_NAME}委员会", "RJ", established_on=datetime.date(1949, 10, 1)
        )
        towns = [
            _child(root, Kind.COMMITTEE, f"{place.place()}镇党委", f"{i + 1:02d}", rng) for i in range(scale.towns)
        ]
    else:
        root = PlannedBranch(Kind.COMMITTEE, f"{place.place()}镇党委", "Z01", established_on=datetime.date(1958, 9, 1))
        towns = [root]
    homes: list[PlannedBranch] = []
    for town in towns:
        homes.append(_child(town, Kind.BRANCH, f"{town.name.removesuffix('党委')}机关党支部", "J1", rng, role="organ"))
    villages: list[PlannedBranch] = []
    for town, n in zip(towns, spread(scale.villages, [1] * len(towns), rng), strict=True):
        for i in range(n):
            villages.append(_child(town, Kind.GENERAL_BRANCH, f"{place.place()}村党总支", f"V{i + 1:02d}", rng))
    for village, n in zip(villages, spread(scale.grids, [1] * len(villages), rng), strict=True):
        village_name = village.name.removesuffix("党总支")
        for i in range(n):
            grid = f"{village_name}第{i + 1}网格"
            homes.append(
                _child(village, Kind.BRANCH, f"{grid}党支部", f"G{i + 1:02d}", rng, grid_name=grid, role="grid")
            )
    communities = [
        _child(town, Kind.COMMITTEE, f"{place.place()}社区党委", "S1", rng)
        for town in rng.sample(towns, scale.communities)
    ]
    for community, n in zip(communities, spread(scale.compounds, [1] * len(communities), rng), strict=True):
        for i in range(n):
            name = f"{place.place()}{rng.choice(['苑', '园', '小区', '花园'])}"
            homes.append(_child(community, Kind.BRANCH, f"{name}党支部", f"X{i + 1:02d}", rng, role="compound"))
    groups: list[PlannedBranch] = []
    for home, n in zip(homes, spread(scale.groups, [1] * len(homes), rng), strict=True):
        for i in range(n):
            groups.append(
                _child(home, Kind.GROUP, f"{home.name.removesuffix('党支部')}第{i + 1}党小组", f"P{i + 1}", rng)
            )
    for group, n in zip(groups, spread(scale.households, [0] * len(groups), rng), strict=True):
        for i in range(n):
            _child(group, Kind.HOUSEHOLD, "", f"H{i + 1}", rng)
    return root


def _walk(node: PlannedBranch):
    yield node
    for child in node.children:
        yield from _walk(child)


def _assign_paths(root: PlannedBranch) -> None:
    """treebeard's materialized path: steps of 4 base-36 digits, children numbered from 1 (the tree is empty)."""
    root.path = Branch._get_path(None, 1, 1)
    for node in _walk(root):
        for i, child in enumerate(node.children, start=1):
            child.path = Branch._get_path(node.path, len(node.path) // Branch.steplen + 1, i)


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


class _People:
    """Members with consistent ID numbers, dates, categories and phones."""

    def __init__(self, rng: random.Random, place: _Names, today: datetime.date, regions: list[str]):
        self.rng, self.names, self.today, self.regions = rng, place, today, regions
        self.sequences: Counter = Counter()
        self.phones: set[str] = set()

    def member(self, branch: PlannedBranch, group: PlannedBranch | None) -> PlannedMember:
        rng, today = self.rng, self.today
        sex = Member.Sex.MALE if rng.random() < 0.7 else Member.Sex.FEMALE
        year = int(rng.triangular(today.year - 90, today.year - 22, today.year - 55))
        birth = _random_date(rng, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        adult = add_years(birth, 18)
        if rng.random() < 0.1:
            status, confirmed = Member.Status.PROBATIONARY, None
            joined = today - datetime.timedelta(days=rng.randrange(20, 360))
        else:
            status = Member.Status.FULL
            joined = _random_date(
                rng,
                max(adult, datetime.date(1950, 1, 1)),
                min(add_years(adult, 30), today - datetime.timedelta(days=400)),
            )
            confirmed = add_years(joined, 1)
        age = (today - birth).days // 365
        occupation, situation = self._occupation_situation(age)
        return PlannedMember(
            name=self.names.person(sex, year),
            sex=sex,
            birth_date=birth,
            id_number=self._id_number(birth, sex),
            branch=branch,
            group=group,
            occupation=occupation,
            situation=situation,
            status=status,
            joined_on=joined,
            confirmed_on=confirmed,
            education=self._education(year),
            phone=self._phone() if age < 80 or rng.random() < 0.5 else "",
            ethnicity="畲族" if rng.random() < 0.02 else "汉族",
        )

    def _id_number(self, birth: datetime.date, sex: str) -> str:
        while True:
            region = self.rng.choice(self.regions)
            key = (region, birth, sex)
            if self.sequences[key] < 500:
                self.sequences[key] += 1
                return make_id_number(region, birth, self.sequences[key] - 1, sex)

    def _occupation_situation(self, age: int) -> tuple[str, str]:
        """职业类别 and 党员状况 from one draw (so the rest of the plan draws as before)."""
        r, occ, sit = self.rng.random(), Member.Occupation, Member.Situation
        if age >= 60:
            return (occ.RETIRED if r < 0.55 else occ.FARMER if r < 0.95 else occ.OTHER), sit.NORMAL
        if age < 25 and r < 0.5:
            return occ.STUDENT, sit.NORMAL
        table = (
            (0.45, occ.EMPLOYED, sit.NORMAL),
            (0.78, occ.FARMER, sit.NORMAL),
            (0.85, occ.EMPLOYED, sit.MOBILE),  # working away from home
            (0.92, occ.FARMER, sit.MOBILE),
            (0.94, occ.OTHER, sit.LOST_CONTACT),
            (0.97, occ.UNEMPLOYED, sit.NORMAL),
        )
        return next(((o, s) for ceiling, o, s in table if r < ceiling), (occ.OTHER, sit.NORMAL))

    def _education(self, birth_year: int) -> str:
        E = Member.Education
        ladder = [
            E.PRIMARY,
            E.MIDDLE_SCHOOL,
            E.HIGH_SCHOOL,
            E.SECONDARY,
            E.JUNIOR_COLLEGE,
            E.UNDERGRADUATE,
            E.POSTGRADUATE,
        ]
        top = 3 if birth_year < 1960 else 5 if birth_year < 1980 else 6
        return ladder[min(top, int(self.rng.triangular(0, top + 1, top * 0.7)))]

    def _phone(self) -> str:
        while True:
            phone = f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone


def _homes(root: PlannedBranch) -> list[PlannedBranch]:
    return [b for b in _walk(root) if b.kind == Kind.BRANCH]


def _plan_members(scale: Scale, root: PlannedBranch, people: _People) -> list[PlannedMember]:
    homes = _homes(root)
    # Every group gets at least three members plus one for each of its households.
    slots = {home: [g for g in home.children for _ in range(3 + len(g.children))] for home in homes}
    minimums = [len(slots[home]) + 2 for home in homes]
    members: list[PlannedMember] = []
    for home, n in zip(homes, spread(scale.members, minimums, people.rng), strict=True):
        for i in range(n):
            if i < len(slots[home]):
                group = slots[home][i]
            else:  # the others go to any group, a few stay outside every group
                group = people.rng.choice(home.children) if people.rng.random() < 0.9 else None
            member = people.member(home, group)
            home.members.append(member)
            if group is not None:
                group.members.append(member)
            members.append(member)
    _plan_households(root, people.rng)
    _plan_departures(members, people)
    return members


def _plan_households(root: PlannedBranch, rng: random.Random) -> None:
    """Each household is led by a member of its group and named after them; a few members join it."""
    for group in (b for b in _walk(root) if b.kind == Kind.GROUP):
        free = list(group.members)
        for left, household in enumerate(reversed(group.children)):
            # Leave at least one free member for each household still to fill.
            chosen = rng.sample(free, max(1, min(rng.randint(1, 4), len(free) - left)))
            for m in chosen:
                m.household = household
                free.remove(m)
            household.members = chosen
            household.name = f"{chosen[0].name}党员中心户"


def _plan_departures(members: list[PlannedMember], people: _People) -> None:
    """About 1.5% left the roster: deaths among the old, transfers out among the others."""
    rng, today = people.rng, people.today
    for m in members:
        if m.status != Member.Status.FULL or m.household is not None or rng.random() >= 0.015:
            continue
        old = today.year - m.birth_date.year >= 70
        m.left_reason = Member.LeftReason.DIED if old else Member.LeftReason.TRANSFERRED_OUT
        m.left_on = _random_date(rng, max(m.confirmed_on, today - datetime.timedelta(days=700)), today)


def _subtree_members(node: PlannedBranch) -> list[PlannedMember]:
    return [m for b in _walk(node) if b.kind == Kind.BRANCH for m in b.members if m.is_active]


def _plan_positions(root: PlannedBranch, rng: random.Random, today: datetime.date) -> list[PlannedPosition]:
    positions: list[PlannedPosition] = []

    def appoint(member: PlannedMember, branch: PlannedBranch, title: str) -> None:
        earliest = max(member.confirmed_on or member.joined_on, branch.established_on or member.joined_on)
        started = _random_date(rng, max(earliest, today - datetime.timedelta(days=3000)), today)
        positions.append(PlannedPosition(member, branch, title, started))

    def committee(branch: PlannedBranch, pool: list[PlannedMember], titles: list[str]) -> list[PlannedMember]:
        full = [m for m in pool if m.status == Member.Status.FULL]
        chosen = rng.sample(full, min(len(full), len(titles)))
        for member, title in zip(chosen, titles, strict=False):
            appoint(member, branch, title)
        return chosen

    for node in _walk(root):
        if node.kind == Kind.COMMITTEE or node.kind == Kind.GENERAL_BRANCH:
            committee(node, _subtree_members(node), [Title.SECRETARY, Title.DEPUTY, Title.COMMITTEE, Title.COMMITTEE])
        elif node.kind == Kind.BRANCH:
            active = [m for m in node.members if m.is_active]
            full = sum(1 for m in active if m.status == Member.Status.FULL)
            titles = [Title.SECRETARY] + ([Title.ORGANIZATION, Title.PROPAGANDA, Title.DISCIPLINE] if full >= 7 else [])
            chosen = committee(node, active, titles)
            if node.role == "grid":
                leader = chosen[0] if chosen and rng.random() < 0.5 else rng.choice(active)
                appoint(leader, node, Title.GRID_LEADER)
                for m in rng.sample(active, min(2, len(active))):
                    appoint(m, node, Title.GRID_WORKER)
            elif node.role == "compound":
                for m in rng.sample(active, min(2, len(active))):
                    appoint(m, node, Title.BUILDING_LEADER)
        elif node.kind == Kind.GROUP:
            if active := [m for m in node.members if m.is_active]:
                appoint(rng.choice(active), node, Title.GROUP_LEADER)
        elif node.kind == Kind.HOUSEHOLD:
            appoint(node.members[0], node, Title.HOUSEHOLD_HEAD)
    return positions


def _plan_accounts(root: PlannedBranch, positions: list[PlannedPosition]) -> dict:
    """``secretary`` and ``secretary2``: secretaries of grid branches in two different villages."""
    secretaries = {p.branch: p.member for p in positions if p.title == Title.SECRETARY and p.branch.grid_name}
    villages = [b for b in _walk(root) if b.kind == Kind.GENERAL_BRANCH]
    first, second = villages[0], villages[1]
    branch = next(b for b in first.children if b in secretaries)
    branch2 = next(b for b in second.children if b in secretaries)
    secretary = secretaries[branch]
    holders = {p.member for p in positions if p.branch is branch}
    others = [m for m in branch.members if m.is_active and m.phone and m is not secretary]
    plain = [m for m in others if m not in holders and m.group is not None] or others
    return {"secretary": secretary, "secretary2": secretaries[branch2], "member": plain[0]}


PROBATION_ENDS_IN = 20  # days: within the 30 of the warning (health.selectors.probation_ending)


def _probation_ending_soon(accounts: dict, positions: list[PlannedPosition], today: datetime.date) -> None:
    """``secretary``'s last 预备党员 holding no position (not ``member``) was admitted a year less
    ``PROBATION_ENDS_IN`` days ago, so that the secretary's pages show a probation ending soon.

    Its youngest full members are made 预备党员 until the branch has two: the demo's extended probation
    (``demo.rules``) takes the first of a branch's, and must not take this one."""
    if "secretary" not in accounts:
        return
    holders = {p.member for p in positions}
    plain = [m for m in accounts["secretary"].branch.members if m.is_active and m not in holders]
    plain = [m for m in plain if m is not accounts["member"]]
    probationary = [m for m in plain if m.status == Member.Status.PROBATIONARY]
    full = sorted((m for m in plain if m.status == Member.Status.FULL), key=lambda m: m.birth_date, reverse=True)
    for m in full[: max(0, 2 - len(probationary))]:
        m.status, m.confirmed_on, m.joined_on = Member.Status.PROBATIONARY, None, today - datetime.timedelta(days=100)
    probationary = [m for m in plain if m.status == Member.Status.PROBATIONARY]
    if probationary:
        probationary[-1].joined_on = add_years(today + datetime.timedelta(days=PROBATION_ENDS_IN), -1)


def seed_plan(*, scale: Scale, seed: int = 1, today: datetime.date | None = None) -> Plan:
    """Plan the tree, members, positions and accounts of ``scale`` (no database access)."""
    scale.check()
    today = today or timezone.localdate()
    rng = random.Random(seed)
    place = _Names(rng)
    root = _plan_tree(scale, rng, place)
    _assign_paths(root)
    members = _plan_members(scale, root, _People(rng, place, today, REGIONS))
    positions = _plan_positions(root, rng, today)
    accounts = _plan_accounts(root, positions)
    _probation_ending_soon(accounts, positions, today)
    return Plan(scale, root, list(_walk(root)), members, positions, accounts)


def seed_newcomers(
    *, plan: Plan, seed: int, regions: list[str], today: datetime.date | None = None
) -> list[PlannedMember]:
    """As many other people as ``plan`` has members, over its branches (e.g. for an import file of new members).

    Give ``regions`` other than the plan's so that no ID number repeats one already written.
    """
    today = today or timezone.localdate()
    rng = random.Random(seed)
    people = _People(rng, _Names(rng), today, regions)
    homes = _homes(plan.root)
    members = []
    for home, n in zip(homes, spread(len(plan.members), [0] * len(homes), rng), strict=True):
        for _ in range(n):
            group = rng.choice(home.children) if home.children and rng.random() < 0.9 else None
            members.append(people.member(home, group))
    return members
