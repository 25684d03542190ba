"""The organization tree: one materialized-path tree of every Party organization."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


class BranchQuerySet(MP_NodeQuerySet):
    def in_subtree(self, branch: "Branch") -> "BranchQuerySet":
        """The branch and everything below it: one indexed prefix range."""
        return self.filter(path__startswith=branch.path)

    def under_paths(self, paths) -> "BranchQuerySet":
        """Branches in any of the subtrees rooted at ``paths``."""
        return self.filter(paths_q(paths, "path"))

    def current(self) -> "BranchQuerySet":
        return self.filter(dissolved_on__isnull=True)


class BranchManager(MP_NodeManager.from_queryset(BranchQuerySet)):
    def get_queryset(self):
        return BranchQuerySet(self.model, using=self._db).order_by("path")


def paths_q(paths, field: str) -> Q:
    """``Q`` matching rows whose ``field`` lies in any subtree of ``paths`` (none: nothing)."""
    q = Q(pk__in=[])
    for path in minimal_paths(paths):
        q |= Q(**{f"{field}__startswith": path})
    return q


def minimal_paths(paths) -> list[str]:
    """Drop paths that lie inside another path of the set (their subtree is already covered)."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


class Branch(MP_Node):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("党委")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")
        GROUP = "group", _("党小组")
        HOUSEHOLD = "household", _("党员中心户")

    # Which kinds may sit directly under which (None: a root).
    ALLOWED_CHILDREN = {
        Kind.COMMITTEE: {Kind.COMMITTEE, Kind.GENERAL_BRANCH, Kind.BRANCH},
        Kind.GENERAL_BRANCH: {Kind.BRANCH},
        Kind.BRANCH: {Kind.GROUP},
        Kind.GROUP: {Kind.HOUSEHOLD},
        Kind.HOUSEHOLD: set(),
    }
    ROOT_KINDS = {Kind.COMMITTEE}
    # Kinds a member's 党支部 may be (a general branch may keep members directly).
    MEMBER_HOME_KINDS = {Kind.BRANCH, Kind.GENERAL_BRANCH}

    # treebeard's own path column; on PostgreSQL a migration gives it the "C" collation
    # so that ``LIKE 'prefix%'`` uses the unique index.
    path = models.CharField(max_length=255, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("组织编码"), max_length=32, unique=True)
    grid_name = models.CharField(_("网格"), max_length=100, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True)

    objects = BranchManager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        permissions = [
            ("manage_branch", "管理党组织（花名册、活动、评分调整）"),
            ("review_health", "审核政治体检与报表"),
            ("view_sensitive", "查看完整身份证号和手机号"),
            ("serve_community", "为民服务：查看诉求、代群众登记、记录进展（网格员）"),
            ("dispatch_requests", "为民服务：派单、关闭诉求、网格二维码（网格长）"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_on is not None

    def ancestor_paths(self) -> list[str]:
        """Paths of this node and every ancestor, root first."""
        return [self.path[: i * self.steplen] for i in range(1, self.depth + 1)]


class BranchUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Branch, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class BranchGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Branch, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


class AuditBulkEvent(models.Model):
    """One bulk write (an import, a recomputation, a freeze): who, when, from where, what file, how many.

    Row-by-row saves are logged by django-auditlog; a bulk write bypasses its signals and is
    recorded here once, with the SHA-256 of the file it came from and its counts.
    """

    class Kind(models.TextChoices):
        IMPORT_MEMBERS = "import_members", _("导入党员花名册")
        IMPORT_DUES = "import_dues", _("导入党费")
        COMPUTE_HEALTH = "compute_health", _("计算政治体检")
        HEALTH_TRANSITION = "health_transition", _("政治体检批量流转")
        HOLD_ACTIVITY = "hold_activity", _("活动召开（冻结应到名单）")
        RECORD_ATTENDANCE = "record_attendance", _("批量登记考勤")
        # One account activation (success or refusal) and one activation code issued (members/services.py).
        ACTIVATE_ACCOUNT = "activate_account", _("激活账号")
        ISSUE_ACTIVATION_CODE = "issue_activation_code", _("签发激活码")
        # A 任职确认码 issued, and each attempt of a member to confirm their position's grant with it.
        ISSUE_POSITION_CODE = "issue_position_code", _("签发任职确认码")
        CONFIRM_POSITION = "confirm_position", _("确认任职权限")
        # One Excel export of the roster, with how many rows carried full ID numbers (members/roster_io/exporting.py).
        EXPORT_MEMBERS = "export_members", _("导出党员花名册")

    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    branch = models.ForeignKey(
        Branch, verbose_name=_("范围"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    remote_addr = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("文件SHA-256"), max_length=64, blank=True)
    counts = models.JSONField(_("数量"), default=dict)
    # Row-level before/after of small bulk writes: [[row, before, after], ...] (at most 500).
    changes = models.JSONField(_("变更明细"), default=list, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=50, blank=True)
    object_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("批量操作审计记录")
        verbose_name_plural = _("批量操作审计记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["branch", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
