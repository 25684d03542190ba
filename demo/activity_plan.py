"""A year of activities, attendance and leave for the demo and city seeds, planned in memory.

``plan_activity_year`` reads the written plan of the tree and roster (``demo.plan.Plan``, with
primary keys) and decides, without a query, which activities each unit holds, who is expected and
who came; ``demo.activities`` writes the result in bulk.

What a year looks like (the twelve months ending with today's month, as for the dues):

- Every unit holds what ``activities.compliance`` requires of it: each 党支部 its 支部党员大会
  and 党课 each quarter, 主题党日 each month, 组织生活会 and 民主评议党员 once a year, 支委会 each
  month when it has at least 7 full members; each 党小组 its 党小组会 each month. A tenth of
  the units are lax and skip about a third of their meetings, the others 3%; 1% of meetings
  are cancelled. Each 党总支 holds one 党课 a year for its whole subtree (its branches then
  often skip their own that quarter). Branches hold 志愿服务 in most months, with hours.
- Held meetings: the expected list frozen from who was on the roster (and, for a 支委会, on
  the committee) that day; each member present (about 85%), on approved leave (about 5%,
  with the approved ``LeaveRequest``) or absent, by a profile of their own (流动 members are
  away more, 失联 members almost never come); a few absences had a refused request.
  Minutes on every held meeting, resolutions with votes on 支部党员大会.
- Meetings of the last week are half still to be logged (planned, with the QR check-ins and
  approved leave so far); those of the next three weeks are planned, with a few pending leave
  requests.
- The demo accounts: ``secretary``'s branch misses one 主题党日 and has something upcoming,
  something to log and a volunteer activity open for sign-up; ``member`` has been present, on
  leave and absent, and has a pending leave request.

Deterministic for a given generator and ``now``.
"""

from __future__ import annotations

import calendar
import datetime
import random
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from activities.compliance import COMMITTEE_MIN_FULL_MEMBERS
from activities.models import Activity, Attendance
from branches.models import Branch
from members.models import Member, Position

from .dues import seed_months
from .plan import PlannedBranch

K = Activity.Kind
S = Attendance.Status
DEPARTMENT = "orgdept"  # the demo's organization department (demo.seeding)
LOOKAHEAD = datetime.timedelta(days=21)
TO_LOG = datetime.timedelta(days=7)
LAX_SHARE, SKIP_LAX, SKIP_USUAL, CANCELLED = 0.1, 0.35, 0.03, 0.01
VOLUNTEER_MONTHLY = 0.7
HOURS = [Decimal(h) for h in ("1.5", "2.0", "2.5", "3.0", "3.5", "4.0")]

# Unit kinds: what a 党支部 holds itself, and how often (month, quarter, year).
BRANCH_KINDS = [
    (K.BRANCH_ASSEMBLY, "quarter"),
    (K.PARTY_LECTURE, "quarter"),
    (K.THEME_DAY, "month"),
    (K.ORG_LIFE_MEETING, "year"),
    (K.DEMOCRATIC_REVIEW, "year"),
]
DURATION = {K.COMMITTEE_MEETING: 60, K.GROUP_MEETING: 60, K.VOLUNTEER: 180, K.THEME_DAY: 120}
SLOTS = [(9, 0), (9, 30), (14, 30), (15, 0), (19, 30)]

PLACES = ["党群服务中心会议室", "村委会二楼会议室", "新时代文明实践站", "网格党群服务驿站", "社区活动室", "红色教育基地"]  # fmt: skip
TOPICS = ["学习贯彻党的二十届四中全会精神", "重温入党誓词", "学习《中国共产党章程》", "学习《中国共产党纪律处分条例》",
          "乡村振兴与集体经济发展", "基层治理与网格化服务", "弘扬红色家风", "安全生产与防汛防台",
          "移风易俗与文明乡风", "学习身边的优秀共产党员"]  # fmt: skip
SERVICES = ["清扫村道与河道", "关爱独居老人", "垃圾分类宣传", "文明交通劝导", "反诈宣传进万家", "义务植树",
            "防溺水巡查", "邻里矛盾调解"]  # fmt: skip
CANCEL_REASONS = ["因台风天气取消", "与上级会议时间冲突，另行安排", "场地临时无法使用"]


@dataclass(eq=False)
class PlannedActivity:
    branch: PlannedBranch
    home: PlannedBranch | None  # the 党支部 whose secretary logs it (the branch itself or a group's; None above)
    kind: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    status: str = Activity.Status.PLANNED
    expected: list = field(default_factory=list)  # PlannedMember, frozen when held
    statuses: list = field(default_factory=list)  # drawn for each expected member
    hours: list = field(default_factory=list)  # volunteer: Decimal or None (signed up, did not come)
    host: object = None
    recorder: object = None
    minutes: str = ""
    cancel_reason: str = ""
    pk: int | None = None

    @property
    def day(self) -> datetime.date:
        return self.starts_at.date()


def on_roster(member, day: datetime.date) -> bool:
    return member.joined_on <= day and (member.left_on is None or member.left_on > day)


def _nobody(day: datetime.date) -> list:
    return []  # an open activity has no expected list


def full_on(member, day: datetime.date) -> bool:
    return member.confirmed_on is not None and member.confirmed_on <= day


class ActivityYear:
    """The plan of one year: which activities, who is expected, who came."""

    def __init__(self, plan, rng: random.Random, now: datetime.datetime, user_ids: dict[str, int]):
        self.plan, self.rng, self.now = plan, rng, now
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.today = timezone.localtime(now, self.tz).date()
        self.months = seed_months(self.today)
        index = self.today.year * 12 + self.today.month  # the month after today's
        self.next_month = datetime.date(index // 12, index % 12 + 1, 1)
        self.activities: list[PlannedActivity] = []
        self.holders: dict = defaultdict(list)  # branch -> positions there
        for position in plan.positions:
            self.holders[position.branch].append(position)
        accounts = plan.accounts
        self.user_of = {accounts[name]: pk for name, pk in user_ids.items() if name in accounts}
        self.manager_of = {
            accounts[n].branch: user_ids[n] for n in ("secretary", "secretary2") if n in accounts and n in user_ids
        }
        # Branches whose secretary has no account here: the organization department logged their
        # meetings from the paper record (so that every held meeting says who marked it held).
        self.department = user_ids.get(DEPARTMENT)
        self.demo_home = accounts["secretary"].branch if "secretary" in accounts else None
        self.demo_member = accounts.get("member")
        self.forced = {self.demo_member: [S.LEAVE, S.ABSENT]} if self.demo_member else {}
        self.profiles = {m: self._profile(m) for m in plan.members}

    def manager(self, home) -> int | None:
        """Who planned, logged and decided at ``home``: its secretary's account, else the department's."""
        return self.manager_of.get(home, self.department)

    # --- who comes ----------------------------------------------------------------------

    def _profile(self, member) -> tuple[float, float, float]:
        """(chance present, chance on leave, chance of joining a volunteer activity)."""
        rng = self.rng
        if member is self.demo_member:
            return 0.7, 0.15, 0.6
        if member.situation == Member.Situation.LOST_CONTACT:
            return 0.03, 0.0, 0.0
        volunteer = rng.choice([0.8, 0.3, 0.3, 0.3, 0.05])
        if member.situation == Member.Situation.MOBILE:
            return 0.5, 0.2, 0.05
        if self.today.year - member.birth_date.year >= 80:
            return 0.7, 0.15, 0.0
        return (0.7, 0.08, volunteer) if rng.random() < 0.1 else (0.95, 0.02, volunteer)

    def _draw(self, planned: PlannedActivity, member) -> str:
        forced = self.forced.get(member)
        if forced and planned.status == Activity.Status.HELD:
            return forced.pop(0)
        present, leave, _ = self.profiles[member]
        r = self.rng.random()
        return S.PRESENT if r < present else S.LEAVE if r < present + leave else S.ABSENT

    # --- when -----------------------------------------------------------------------------

    def _windows(self, every: str) -> list[list[datetime.date]]:
        """The candidate months of each window of the year (a monthly kind also gets next month)."""
        if every == "month":
            return [[m] for m in [*self.months, self.next_month]]
        windows: dict = defaultdict(list)
        for m in self.months:
            key = (m.year, (m.month - 1) // 3) if every == "quarter" else m.year
            windows[key].append(m)
        if every == "year":  # held before the year's last month in the span, when there is a choice
            return [ms[:-1] or ms for ms in windows.values()]
        return list(windows.values())

    def _when(self, month: datetime.date, kind: str) -> tuple[datetime.datetime, datetime.datetime]:
        day = self.rng.randint(1, calendar.monthrange(month.year, month.month)[1])
        hour, minute = self.rng.choice(SLOTS)
        starts = datetime.datetime(month.year, month.month, day, hour, minute, tzinfo=self.tz)
        return starts, starts + datetime.timedelta(minutes=DURATION.get(kind, 90))

    def _status(self, planned: PlannedActivity) -> str:
        if planned.ends_at > self.now:
            return Activity.Status.PLANNED
        if planned.ends_at > self.now - TO_LOG and self.rng.random() < 0.5:
            return Activity.Status.PLANNED  # still to be logged by the secretary
        if planned.kind != K.VOLUNTEER and self.rng.random() < CANCELLED:
            planned.cancel_reason = self.rng.choice(CANCEL_REASONS)
            return Activity.Status.CANCELLED
        return Activity.Status.HELD

    # --- what ------------------------------------------------------------------------------

    def _title(self, branch, kind: str, starts: datetime.datetime) -> str:
        quarter = (starts.month - 1) // 3 + 1
        topic = self.rng.choice(TOPICS)
        return {
            K.BRANCH_ASSEMBLY: f"{starts.year}年第{quarter}季度支部党员大会",
            K.COMMITTEE_MEETING: f"{starts.month}月支委会",
            K.GROUP_MEETING: f"{branch.name}{starts.month}月党小组会",
            K.PARTY_LECTURE: f"党课：{topic}",
            K.THEME_DAY: f"{starts.month}月主题党日：{topic}",
            K.ORG_LIFE_MEETING: f"{starts.year}年度组织生活会",
            K.DEMOCRATIC_REVIEW: f"{starts.year}年度民主评议党员",
            K.VOLUNTEER: f"志愿服务：{self.rng.choice(SERVICES)}",
            K.STUDY: f"集中学习：{topic}",
        }[kind]

    def _officers(self, branch) -> tuple:
        """Host and recorder: the secretary (or group leader) and another committee member."""
        positions = [p for p in self.holders.get(branch, []) if p.member.is_active]
        order = [Position.Title.SECRETARY, Position.Title.GROUP_LEADER, Position.Title.DEPUTY]
        hosts = sorted((p for p in positions if p.title in order), key=lambda p: order.index(p.title))
        host = hosts[0].member if hosts else None
        others = [p.member for p in positions if p.title in Position.COMMITTEE_TITLES and p.member is not host]
        return host, (others[0] if others else None)

    def add(
        self, branch: PlannedBranch, home: PlannedBranch | None, kind: str, month: datetime.date, expected_of, **at
    ) -> PlannedActivity | None:
        """Plan one activity of ``branch`` in ``month`` (or ``at`` a given ``starts``/``status``).

        None when it falls beyond the look-ahead, or nobody would be expected at a meeting.
        """
        starts, ends = self._when(month, kind)
        if "starts" in at:
            starts, ends = at["starts"], at["starts"] + (ends - starts)
        if starts > self.now + LOOKAHEAD:
            return None
        host, recorder = self._officers(branch)
        title, place = self._title(branch, kind, starts), self.rng.choice(PLACES)
        planned = PlannedActivity(branch, home, kind, title, starts, ends, place, host=host, recorder=recorder)
        planned.status = at.get("status") or self._status(planned)
        day = planned.day if planned.status != Activity.Status.PLANNED else max(planned.day, self.today)
        planned.expected = expected_of(day)
        if not planned.expected and kind not in Activity.OPEN_KINDS:
            return None
        self.activities.append(planned)
        return planned

    # --- the units --------------------------------------------------------------------------

    def _skips(self, lax: bool) -> bool:
        return self.rng.random() < (SKIP_LAX if lax else SKIP_USUAL)

    def plan_branch(self, home, skipped_lectures: set) -> None:
        lax = home is not self.demo_home and self.rng.random() < LAX_SHARE
        members = home.members

        def everyone(day):
            return [m for m in members if on_roster(m, day)]

        for kind, every in BRANCH_KINDS:
            for window in self._windows(every):
                month = self.rng.choice(window)
                forced_skip = home is self.demo_home and kind == K.THEME_DAY and month == self.months[-4]
                inherited = kind == K.PARTY_LECTURE and (home, month.year, (month.month - 1) // 3) in skipped_lectures
                if forced_skip or inherited or self._skips(lax):
                    continue
                self.add(home, home, kind, month, everyone)
        full_now = sum(1 for m in members if m.is_active and m.status == Member.Status.FULL)
        if full_now >= COMMITTEE_MIN_FULL_MEMBERS:
            committee = [p for p in self.holders.get(home, []) if p.title in Position.COMMITTEE_TITLES]

            def on_committee(day):
                sitting = (p.member for p in committee if p.started_on <= day and on_roster(p.member, day))
                return list(dict.fromkeys(sitting))  # once each, in order

            for (month,) in self._windows("month"):
                if not self._skips(lax):
                    self.add(home, home, K.COMMITTEE_MEETING, month, on_committee)
        for group in (g for g in home.children if g.kind == Branch.Kind.GROUP):
            if any(m.is_active for m in group.members):
                self.plan_group(group, home, lax)
        self.plan_volunteering(home)

    def plan_group(self, group, home, lax: bool) -> None:
        def group_members(day):
            return [m for m in group.members if on_roster(m, day)]

        for (month,) in self._windows("month"):
            if not self._skips(lax):
                self.add(group, home, K.GROUP_MEETING, month, group_members)

    def plan_volunteering(self, home) -> None:
        for (month,) in self._windows("month"):
            if self.rng.random() < VOLUNTEER_MONTHLY:
                planned = self.add(home, home, K.VOLUNTEER, month, _nobody)
                if planned is not None:
                    self._volunteers(planned, home)

    def _volunteers(self, planned: PlannedActivity, home) -> None:
        """Sign-ups of an open activity; once held, hours for those who came."""
        for m in home.members:
            if on_roster(m, max(planned.day, self.today) if planned.status == "planned" else planned.day):
                if self.rng.random() < self.profiles[m][2]:
                    planned.expected.append(m)
                    came = self.rng.random() < 0.95
                    planned.hours.append(self.rng.choice(HOURS) if came else None)

    def plan_village_lecture(self, village, skipped_lectures: set) -> None:
        """One 党课 a year for the whole subtree of a 党总支; its branches often skip their own that quarter."""
        homes = [b for b in village.children if b.kind == Branch.Kind.BRANCH]
        past = [m for m in self.months if m < self.months[-1]]
        month = self.rng.choice(past or self.months)

        def subtree(day):
            return [m for home in homes for m in home.members if on_roster(m, day)]

        if self.add(village, None, K.PARTY_LECTURE, month, subtree) is not None:
            for home in homes:
                if home is not self.demo_home and self.rng.random() < 0.7:
                    skipped_lectures.add((home, month.year, (month.month - 1) // 3))

    def build(self) -> None:
        skipped_lectures: set = set()
        for branch in self.plan.branches:
            if branch.kind == Branch.Kind.GENERAL_BRANCH:
                self.plan_village_lecture(branch, skipped_lectures)
        for branch in self.plan.branches:
            if branch.kind == Branch.Kind.BRANCH:
                self.plan_branch(branch, skipped_lectures)
        if self.demo_home is not None:
            self._demo_extras()
        for planned in self.activities:
            if planned.kind != K.VOLUNTEER:
                planned.statuses = [self._draw(planned, m) for m in planned.expected]
                planned.minutes = self._minutes(planned)

    def _demo_extras(self) -> None:
        """Make sure the demo secretary has something upcoming, to log and open for sign-up."""
        home, planned_status = self.demo_home, Activity.Status.PLANNED
        mine = [a for a in self.activities if a.home is home and a.status == planned_status]

        def day_at(days: int) -> datetime.datetime:
            day = self.today + datetime.timedelta(days=days)
            return datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=self.tz)

        def everyone(day):
            return [m for m in home.members if on_roster(m, day)]

        member = self.demo_member
        listed = [a for a in mine if a.kind not in Activity.OPEN_KINDS and a.ends_at > self.now]
        if not any(m is member for a in listed for m in a.expected):
            self.add(home, home, K.THEME_DAY, self.today, everyone, starts=day_at(3), status=planned_status)
        if not any(a.ends_at > self.now and a.kind == K.VOLUNTEER for a in mine):
            planned = self.add(home, home, K.VOLUNTEER, self.today, _nobody, starts=day_at(5), status=planned_status)
            self._volunteers(planned, home)
        if not any(a.ends_at <= self.now for a in mine):
            self.add(home, home, K.STUDY, self.today, _nobody, starts=day_at(-2), status=planned_status)

    def _minutes(self, planned: PlannedActivity) -> str:
        if planned.status != Activity.Status.HELD or planned.kind in (K.VOLUNTEER, K.STUDY):
            return ""
        counts = Counter(planned.statuses)
        host = planned.host.name if planned.host else "书记"
        recorder = f"，{planned.recorder.name}记录" if planned.recorder else ""
        return (
            f"{planned.starts_at:%Y年%m月%d日}，{planned.branch.name}在{planned.place}召开"
            f"{K(planned.kind).label}，{host}主持{recorder}。应到{len(planned.expected)}人，"
            f"实到{counts[S.PRESENT]}人，请假{counts[S.LEAVE]}人，缺席{counts[S.ABSENT]}人。"
            f"会议围绕“{self.rng.choice(TOPICS)}”开展学习讨论，与会党员逐一发言，"
            f"会议对下一阶段工作作了安排。"
        )


def plan_activity_year(
    *, plan, rng: random.Random, now: datetime.datetime, user_ids: dict[str, int] | None = None
) -> ActivityYear:
    """The year of ``plan`` (a ``demo.plan.Plan``) in memory, without touching the database."""
    year = ActivityYear(plan, rng, now, user_ids or {})
    year.build()
    return year
