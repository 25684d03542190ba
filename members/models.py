"""Members (党员), their positions (职务) and the history of every change to them."""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches import access
from branches.models import Branch
from core.masking import mask_phone

from . import crypto
from .idnumbers import mask_id_number
from .pinyin import name_sort_key


def probation_end(joined_on: datetime.date, extension_months: int = 0) -> datetime.date:
    """Admission + 1 year + the extension (发展党员工作细则 art. 32); a day the target month lacks
    (29 Feb, the 31st) falls back to that month's last day."""
    months = joined_on.month - 1 + 12 + extension_months
    year, month = joined_on.year + months // 12, months % 12 + 1
    return datetime.date(year, month, min(joined_on.day, calendar.monthrange(year, month)[1]))


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> MemberQuerySet:
        """Members ``user`` may read: those of their subtrees, and always themselves."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(access.branch_scope_q(user, "branch__path") | models.Q(user_id=user.pk))

    def in_subtree(self, branch: Branch) -> MemberQuerySet:
        return self.filter(branch__path__startswith=branch.path)

    def active(self) -> MemberQuerySet:
        return self.filter(is_active=True)

    def with_id_number(self, number: str) -> MemberQuerySet:
        return self.filter(id_number_digest=crypto.digest(number))

    # Writes that bypass ``Member.save`` fill the pinyin sort key too (demo and scale data, imports).
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for member in objs:
            member.name_pinyin = name_sort_key(member.name)
        update_fields = kwargs.get("update_fields")
        if update_fields and "name" in update_fields and "name_pinyin" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "name_pinyin"]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        fields = list(fields)
        if "name" in fields:
            objs = list(objs)
            for member in objs:
                member.name_pinyin = name_sort_key(member.name)
            if "name_pinyin" not in fields:
                fields.append("name_pinyin")
        return super().bulk_update(objs, fields, *args, **kwargs)

    def voting(self, on: datetime.date) -> MemberQuerySet:
        """Members with a vote on ``on``: active full members under no vote-removing sanction that day.

        The rule of ``Member.may_vote`` (支部工作条例 arts. 11-12; 党章 art. 40): the two must agree
        (tests/members/test_models.py ties them together).
        """
        return self.active().filter(status=Member.Status.FULL).exclude(pk__in=Sanction.in_force(on).values("member_id"))


class Member(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Education(models.TextChoices):
        POSTGRADUATE = "postgraduate", _("研究生")
        UNDERGRADUATE = "undergraduate", _("大学本科")
        JUNIOR_COLLEGE = "junior_college", _("大学专科")
        SECONDARY = "secondary", _("中专")
        HIGH_SCHOOL = "high_school", _("高中")
        MIDDLE_SCHOOL = "middle_school", _("初中")
        PRIMARY = "primary", _("小学及以下")

    class Occupation(models.TextChoices):
        EMPLOYED = "employed", _("在职")
        RETIRED = "retired", _("离退休")
        FARMER = "farmer", _("农民")
        STUDENT = "student", _("学生")
        UNEMPLOYED = "unemployed", _("下岗失业")
        OTHER = "other", _("其他")

    class Situation(models.TextChoices):
        NORMAL = "normal", _("正常")
        MOBILE = "mobile", _("流动")
        LOST_CONTACT = "lost_contact", _("失联")

    class Status(models.TextChoices):
        FULL = "full", _("正式党员")
        PROBATIONARY = "probationary", _("预备党员")

    class LeftReason(models.TextChoices):
        DIED = "died", _("死亡")
        TRANSFERRED_OUT = "transferred_out", _("转出")
        EXPELLED = "expelled", _("开除党籍")
        REMOVED_LAPSED = "removed_lapsed", _("除名（自行脱党）")
        REMOVED_PERSUADED = "removed_persuaded", _("除名（劝退不退）")
        WITHDREW = "withdrew", _("退党")
        PROBATION_CANCELLED = "probation_cancelled", _("取消预备党员资格")
        SUSPENDED = "suspended", _("停止党籍")
        OTHER = "other", _("其他")  # kept for rows recorded before the reasons above; not offered

    name = models.CharField(_("姓名"), max_length=50)
    # The name's pinyin (members/pinyin.py), filled on every write: lists of members sort by it.
    name_pinyin = models.CharField(_("姓名拼音"), max_length=255, blank=True, default="", editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    id_number_encrypted = models.TextField(_("公民身份号码（加密）"))
    id_number_digest = models.CharField(_("公民身份号码摘要"), max_length=64, unique=True)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True, db_index=True)
    branch = models.ForeignKey(Branch, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="members")
    group = models.ForeignKey(
        Branch, verbose_name=_("党小组"), on_delete=models.PROTECT, null=True, blank=True, related_name="group_members"
    )
    household = models.ForeignKey(
        Branch,
        verbose_name=_("党员中心户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="household_members",
    )
    occupation = models.CharField(_("职业类别"), max_length=20, choices=Occupation.choices, default=Occupation.EMPLOYED)
    situation = models.CharField(_("党员状况"), max_length=20, choices=Situation.choices, default=Situation.NORMAL)
    # Declared monthly after-tax income; the dues brackets apply to it (members/dues/rules.py).
    monthly_income = models.DecimalField(_("月收入（税后）"), max_digits=10, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("党员状态"), max_length=20, choices=Status.choices, default=Status.FULL)
    joined_on = models.DateField(_("入党日期"))
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    probation_extension_months = models.PositiveSmallIntegerField(_("延长预备期（月）"), default=0)
    is_active = models.BooleanField(_("在册"), default=True)
    left_on = models.DateField(_("离册日期"), null=True, blank=True)
    left_reason = models.CharField(_("离册原因"), max_length=20, choices=LeftReason.choices, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch__path", "name_pinyin", "name", "pk"]
        indexes = [
            models.Index(fields=["branch", "is_active", "name"]),
            models.Index(fields=["branch", "name_pinyin"]),
            models.Index(fields=["name"]),
            models.Index(fields=["name_pinyin"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_pinyin = name_sort_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)

    @property
    def probation_ends_on(self) -> datetime.date:
        """The day the probation ends and 转正 takes effect (``probation_end``)."""
        return probation_end(self.joined_on, self.probation_extension_months)

    @property
    def party_standing_from(self) -> datetime.date | None:
        """党龄 counts from 转正 (党章 art. 7): the recorded date, else None (a 预备党员 has none)."""
        return self.confirmed_on if self.status == self.Status.FULL else None

    def party_standing_years(self, on: datetime.date) -> int | None:
        """Whole years of 党龄 on ``on``; None for a 预备党员 or a full member without a 转正 date."""
        start = self.party_standing_from
        if start is None or start > on:
            return None
        return on.year - start.year - ((on.month, on.day) < (start.month, start.day))

    def may_vote(self, on: datetime.date) -> bool:
        """The rule of ``MemberQuerySet.voting`` for one member (one query for the sanctions)."""
        if not self.is_active or self.status != self.Status.FULL:
            return False
        return not Sanction.in_force(on).filter(member_id=self.pk).exists()

    # The clear number is only ever read through these; pages and exports call ``id_number_for``.
    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted)

    def set_id_number(self, number: str) -> None:
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_number_digest = crypto.digest(number)

    # No masked copy is stored: with the stored birth date it gave the whole number back
    # from a database dump without the key (docs/SECURITY.md).
    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    # One rule for the ID number and the phone (and the birth date, which the pages replace by an
    # age): pages show them masked to everyone, ``view_sensitive`` or not; the full values go only
    # to a user holding ``view_sensitive`` on the member's branch, and only by an explicit, audited
    # act (``explicit``): the member page's "显示" (members.views.reveal) or an Excel export.
    def id_number_for(self, user, *, explicit: bool) -> str:
        if explicit and access.can_view_sensitive(user, self.branch):
            return self.id_number
        return self.id_number_masked

    def phone_for(self, user, *, explicit: bool) -> str:
        if explicit and access.can_view_sensitive(user, self.branch):
            return self.phone
        return mask_phone(self.phone)


class Position(models.Model):
    class Title(models.TextChoices):
        SECRETARY = "secretary", _("书记")
        DEPUTY = "deputy", _("副书记")
        ORGANIZATION = "organization", _("组织委员")
        PROPAGANDA = "propaganda", _("宣传委员")
        DISCIPLINE = "discipline", _("纪检委员")
        COMMITTEE = "committee", _("委员")
        GROUP_LEADER = "group_leader", _("党小组长")
        GRID_LEADER = "grid_leader", _("网格长")
        GRID_WORKER = "grid_worker", _("网格员")
        BUILDING_LEADER = "building_leader", _("楼长")
        LIAISON = "liaison", _("联络员")
        HOUSEHOLD_HEAD = "household_head", _("中心户户长")

    # Titles that sit on the branch committee and so manage the branch.
    MANAGING_TITLES = {
        Title.SECRETARY,
        Title.DEPUTY,
        Title.ORGANIZATION,
        Title.PROPAGANDA,
        Title.DISCIPLINE,
        Title.COMMITTEE,
    }
    COMMITTEE_TITLES = MANAGING_TITLES
    # The branch permission each granting title gives at the position's branch (members.services
    # ``position_sync_grants``), once someone who manages the branch vouched for the holder's account
    # (``grant_confirmed_at``): committee titles manage the branch; a grid head (网格长) dispatches and
    # closes the community's service requests, a grid worker (网格员) follows them (issue 16,
    # docs/rules/service.md "Who may do what").
    TITLE_GRANTS = {
        **{title: access.MANAGE for title in MANAGING_TITLES},
        Title.GRID_LEADER: access.DISPATCH,
        Title.GRID_WORKER: access.SERVE,
    }
    GRANTING_TITLES = set(TITLE_GRANTS)

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="positions")
    branch = models.ForeignKey(Branch, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(_("职务"), max_length=20, choices=Title.choices)
    started_on = models.DateField(_("任职日期"))
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)
    # When someone who manages the branch vouched for the member's account (members/services.py
    # ``position_grant_vouched``): a managing title's ``manage_branch`` attaches only from then on,
    # so that whoever set up the account of a member cannot inherit the member's later positions.
    grant_confirmed_at = models.DateTimeField(_("任职权限确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("职务")
        verbose_name_plural = _("职务")
        ordering = ["branch__path", "title", "started_on"]
        indexes = [models.Index(fields=["branch", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.branch} {self.get_title_display()} {self.member}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    @property
    def grant_pending(self) -> bool:
        """A current granting position whose permission waits for the holder's confirmation."""
        return self.ended_on is None and self.title in self.GRANTING_TITLES and self.grant_confirmed_at is None


class MemberEvent(models.Model):
    """One line of a member's history: created, changed, transferred, status changed, left."""

    class Kind(models.TextChoices):
        CREATED = "created", _("建档")
        UPDATED = "updated", _("信息修改")
        TRANSFERRED = "transferred", _("组织关系转接")
        STATUS_CHANGED = "status_changed", _("党员状态变更")
        LEFT = "left", _("离册")
        POSITION = "position", _("职务变动")
        IMPORTED = "imported", _("导入")

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("日期"))
    from_branch = models.ForeignKey(
        Branch, verbose_name=_("原组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_branch = models.ForeignKey(
        Branch, verbose_name=_("新组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(_("说明"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("党员档案记录")
        verbose_name_plural = _("党员档案记录")
        ordering = ["-occurred_on", "-at", "-pk"]
        indexes = [
            # The transfers since a day (a month's or a year's rosters: activities.month_rosters, the health
            # checks' facts): a few rows of a history that grows with every change (a city: 55,000 events read
            # at each compliance report of a 党支部, 3-15 ms twice on its secretary's first page).
            models.Index(
                fields=["occurred_on"], condition=models.Q(kind="transferred"), name="memberevent_transfers_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.occurred_on}"


class Commendation(models.Model):
    """表彰: a commendation of a member, which adds points to the health check."""

    class Level(models.TextChoices):
        BRANCH = "branch", _("支部")
        TOWN = "town", _("乡镇")
        COUNTY = "county", _("县级及以上")

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="commendations")
    level = models.CharField(_("表彰级别"), max_length=10, choices=Level.choices)
    title = models.CharField(_("表彰名称"), max_length=200)
    awarded_on = models.DateField(_("表彰日期"))
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("表彰")
        verbose_name_plural = _("表彰")
        ordering = ["-awarded_on", "-pk"]
        indexes = [models.Index(fields=["member", "awarded_on"])]

    def __str__(self) -> str:
        return f"{self.member} {self.title}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}


class Sanction(models.Model):
    """处分 or a lighter measure: the lighter ones deduct points, a 党纪处分 vetoes the health check."""

    class Kind(models.TextChoices):
        CRITICISM = "criticism", _("批评教育")
        ADMONITION = "admonition", _("诫勉")
        WARNING = "warning", _("警告")
        SERIOUS_WARNING = "serious_warning", _("严重警告")
        REMOVAL = "removal", _("撤销党内职务")
        PROBATION = "probation", _("留党察看")
        EXPULSION = "expulsion", _("开除党籍")
        RIGHTS_SUSPENDED = "rights_suspended", _("停止党员权利")

    # 党纪处分 (the five of the Party Constitution, art. 42); the others are organizational measures
    # (停止党员权利 too: a measure of the organization, not a 处分).
    DISCIPLINARY_KINDS = frozenset({Kind.WARNING, Kind.SERIOUS_WARNING, Kind.REMOVAL, Kind.PROBATION, Kind.EXPULSION})
    # Those that take away the vote while in force (党章 art. 40: 留党察看 has no vote).
    VOTE_REMOVING_KINDS = frozenset({Kind.PROBATION, Kind.RIGHTS_SUSPENDED})

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    imposed_on = models.DateField(_("决定日期"))
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    reason = models.TextField(_("事由"), blank=True)
    ends_on = models.DateField(_("期满/解除日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("处分与处理")
        verbose_name_plural = _("处分与处理")
        ordering = ["-imposed_on", "-pk"]
        indexes = [models.Index(fields=["member", "imposed_on"])]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}

    @classmethod
    def in_force(cls, on: datetime.date) -> models.QuerySet:
        """Vote-removing sanctions in force on ``on``: imposed on or before it, not yet ended."""
        return cls.objects.filter(kind__in=cls.VOTE_REMOVING_KINDS, imposed_on__lte=on).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=on)
        )

    @property
    def is_disciplinary(self) -> bool:
        """A 党纪处分 (警告 and heavier), as opposed to 批评教育 or 诫勉."""
        return self.kind in self.DISCIPLINARY_KINDS


class LapseNote(models.Model):
    """A secretary's note on the 党章 art. 9 warning: a 正当理由 covering months, or the follow-up."""

    class Kind(models.TextChoices):
        REASON = "reason", _("正当理由")
        FOLLOWUP = "followup", _("跟进处理")

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="lapse_notes")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("内容"))
    # The months a 正当理由 covers (first days of months, inclusive); a follow-up may leave them empty.
    months_from = models.DateField(_("起始月份"), null=True, blank=True)
    months_to = models.DateField(_("截止月份"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("脱党预警记录")
        verbose_name_plural = _("脱党预警记录")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["member", "kind"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind}"

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so that the member's page finds it (branches/audit.py)."""
        return {"member_id": self.member_id}


class ActivationCode(models.Model):
    """A one-time code by which someone who manages a branch vouches for a member's account.

    ``ACTIVATE``: without it a member holding a managing position cannot activate an account; issued
    by someone who manages the highest branch of those positions (members/services.py
    ``activation_code_issue``), so that whoever can edit the member's phone alone cannot claim an
    account that inherits the position's ``manage_branch``. ``CONFIRM`` (任职确认码): entered by the
    member on their own page, it attaches the grants of positions given after the account was
    activated (``position_code_issue``, ``position_grant_confirm``). Either, once used, vouches for
    the account in the subtree of ``branch``: the highest branch of the member's path that the
    issuer managed. Only a keyed hash of the code is stored.
    """

    class Purpose(models.TextChoices):
        ACTIVATE = "activate", _("账号激活码")
        CONFIRM = "confirm", _("任职确认码")

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="activation_codes"
    )
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices, default=Purpose.ACTIVATE)
    branch = models.ForeignKey(
        Branch, verbose_name=_("担保范围"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(_("激活码摘要"), max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签发人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号激活码")
        verbose_name_plural = _("账号激活码")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.issued_at:%Y-%m-%d %H:%M}"


# 党费's models live in members/dues/models.py; imported here so that Django registers them with the app.
from .dues.models import DuesPayment, DuesReduction, FarmerDuesRate, IncomeChange  # noqa: E402

__all__ = [
    "ActivationCode",
    "Commendation",
    "DuesPayment",
    "DuesReduction",
    "FarmerDuesRate",
    "IncomeChange",
    "LapseNote",
    "Member",
    "MemberEvent",
    "Position",
    "Sanction",
]
