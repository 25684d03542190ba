"""Forms of the activity pages. They only parse what people type; the rules live in
``activities.services``, whose ``ActivityError`` is shown on the matching field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from branches.picker import MANAGE_SCOPE, BranchChoiceField

from .compliance import Period
from .models import Activity, ExpectedExemption, MeetingRule, ProbationDecision
from .page_selectors import host_candidates
from .services import EDITABLE_WHEN_HELD

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_TEXT = forms.Textarea(attrs={"rows": 4})


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "---------"), *choices]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ServiceErrorMixin:
    """Show an ``ActivityError`` on its field, or above the form when it names none we show."""

    def add_service_error(self, exc) -> None:
        field = getattr(exc, "field", None)
        self.add_error(field if field in self.fields else None, exc.message)


class ActivityForm(ServiceErrorMixin, forms.Form):
    """Plan an activity (``activity`` None) or edit one; a held activity keeps its times."""

    branch = BranchChoiceField(label=_("党组织"), scope=MANAGE_SCOPE)
    kind = forms.ChoiceField(label=_("类型"), choices=_blank(Activity.Kind.choices))
    title = forms.CharField(label=_("主题"), max_length=200)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=_DATETIME)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=_DATETIME)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    host = MemberChoiceField(label=_("主持人"), queryset=None, required=False)
    recorder = MemberChoiceField(label=_("记录人"), queryset=None, required=False)
    speaker = MemberChoiceField(label=_("主讲人"), queryset=None, required=False, help_text=_("党课填写"))
    extra_kinds = forms.MultipleChoiceField(
        label=_("同时计为"),
        choices=Activity.Kind.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        required=False,
        help_text=_("例如主题党日中讲党课的，勾选“党课”；组织生活会与支部党员大会合并召开的，勾选“支部党员大会”"),
    )
    study_hours = forms.DecimalField(
        label=_("学时"), max_digits=4, decimal_places=1, min_value=0, required=False, help_text=_("党课、学习活动填写")
    )
    agenda = forms.CharField(label=_("议程"), widget=_TEXT, required=False)
    checkin_opens_at = forms.DateTimeField(
        label=_("签到开始时间"),
        widget=_DATETIME,
        required=False,
        help_text=_("不填则为开始前 30 分钟"),
    )
    checkin_closes_at = forms.DateTimeField(
        label=_("签到截止时间"), widget=_DATETIME, required=False, help_text=_("不填则为结束时间")
    )

    def __init__(self, *args, user=None, branch: Branch | None = None, activity: Activity | None = None, **kw):
        if activity is not None:
            initial = {
                name: getattr(activity, name) for name in self.base_fields if name not in ("branch", "extra_kinds")
            }
            initial["extra_kinds"] = [row.kind for row in activity.extra_kinds.all()]
            kw.setdefault("initial", initial)
        super().__init__(*args, **kw)
        self.activity = activity
        if activity is not None:
            del self.fields["branch"], self.fields["kind"]
            branch = activity.branch
            self.fields["extra_kinds"].choices = [c for c in Activity.Kind.choices if c[0] != activity.kind]
            if activity.is_held:
                for name in list(self.fields):
                    if name not in EDITABLE_WHEN_HELD:
                        del self.fields[name]
        else:
            self.fields["branch"].for_user(user)
            if branch is not None:
                self.initial.setdefault("branch", branch)
                if self.is_bound:  # the hosts are checked against the branch posted, if another
                    branch = self._posted_branch() or branch
        if branch is None:
            # Who may host depends on the branch: chosen on the edit page once it is known.
            del self.fields["host"], self.fields["recorder"], self.fields["speaker"]
        else:
            candidates = host_candidates(branch)
            # The three lists are the same people: read once as (pk, name), not a query and 96 members each;
            # each field keeps the queryset to check what is posted.
            options = _blank([(pk, name) for pk, name in candidates.values_list("pk", "name")])
            for name in ("host", "recorder", "speaker"):
                if name in self.fields:
                    self.fields[name].queryset = candidates
                    self.fields[name].choices = options

    def _posted_branch(self) -> Branch | None:
        try:
            return self.fields["branch"].clean(self.data.get("branch"))
        except forms.ValidationError:
            return None

    def clean(self):
        data = super().clean()
        kind = self.activity.kind if self.activity is not None else data.get("kind")
        if kind and kind in (data.get("extra_kinds") or ()):
            self.add_error("extra_kinds", _("“同时计为”不能包含活动本身的类型"))
        return data

    def changes(self) -> dict:
        """The edited fields whose value differs from the activity's (for ``activity_update``)."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("branch", "kind", "extra_kinds")}
        changes = {k: v for k, v in data.items() if getattr(self.activity, k) != v}
        if "extra_kinds" in self.cleaned_data and set(self.cleaned_data["extra_kinds"]) != set(
            self.initial.get("extra_kinds", ())
        ):
            changes["extra_kinds"] = self.cleaned_data["extra_kinds"]
        return changes

    def create_kwargs(self) -> dict:
        """The cleaned values as ``activity_create`` takes them."""
        return dict(self.cleaned_data)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200, required=False)


class MinutesForm(ServiceErrorMixin, forms.Form):
    minutes = forms.CharField(label=_("会议记录"), widget=forms.Textarea(attrs={"rows": 12}), required=False)


class ResolutionForm(ServiceErrorMixin, forms.Form):
    text = forms.CharField(label=_("决议内容"), widget=_TEXT)
    votes_for = forms.IntegerField(label=_("赞成"), min_value=0, required=False)
    votes_against = forms.IntegerField(label=_("反对"), min_value=0, required=False)
    votes_abstain = forms.IntegerField(label=_("弃权"), min_value=0, required=False)
    written_for = forms.IntegerField(label=_("书面赞成"), min_value=0, required=False)
    written_against = forms.IntegerField(label=_("书面反对"), min_value=0, required=False)
    written_abstain = forms.IntegerField(label=_("书面弃权"), min_value=0, required=False)


class FileForm(forms.Form):
    # The service checks type, content and size and says what is wrong in Chinese.
    file = forms.FileField(label=_("照片或文件"), error_messages={"required": _("请选择要上传的文件")})
    caption = forms.CharField(label=_("说明"), max_length=200, required=False)


class LeaveForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(label=_("请假事由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("批准")), ("0", _("不批准"))], coerce=lambda v: v == "1", empty_value=None
    )
    comment = forms.CharField(label=_("审批意见"), max_length=200, required=False)


class ManualCheckInForm(forms.Form):
    """The secretary checks in a member without a phone: from the sheet (``member``) or by name/phone."""

    member = forms.IntegerField(required=False, min_value=1)
    who = forms.CharField(label=_("姓名或手机号码"), max_length=50, required=False)
    # Required by the service when a held activity's 缺席 or 请假 turns 实到 (``reason_required``).
    reason = forms.CharField(label=_("理由"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("member") and not (data.get("who") or "").strip():
            raise forms.ValidationError(_("请选择或输入要签到的党员"))
        return data


class ListFilterForm(forms.Form):
    """The list's filters, read from the query string; a bad kind, status or branch is simply not applied
    (the month is read by ``branches.params.month_param``: a bad one answers 400)."""

    month = forms.CharField(
        label=_("月份"), required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_blank(Activity.Kind.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(Activity.Status.choices))
    branch = BranchChoiceField(label=_("党组织"), required=False, help_text="")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].for_user(user)

    def value(self, name: str, default=""):
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or default


class PeriodForm(forms.Form):
    """The compliance page's period: a month, a quarter or a year, and the branch (the user's highest
    when none is chosen; one not found is an error on its field, the period still applies)."""

    kind = forms.ChoiceField(label=_("周期"), choices=MeetingRule.Period.choices, required=False)
    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100, required=False)
    index = forms.IntegerField(label=_("月份或季度"), min_value=1, max_value=12, required=False)
    branch = BranchChoiceField(label=_("党组织"), required=False, help_text="")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].for_user(user)

    def period(self, default: Period) -> Period:
        """The chosen period, or ``default`` when the choice is incomplete or impossible."""
        if not self.is_valid() and set(self.errors) - {"branch"}:
            return default
        kind = self.cleaned_data.get("kind") or default.kind
        year = self.cleaned_data.get("year") or default.year
        index = self.cleaned_data.get("index")
        if kind == MeetingRule.Period.YEAR:
            return Period(kind, year)
        if index is None:
            index = default.index if default.kind == kind else 1
        if kind == MeetingRule.Period.QUARTER and index > 4:
            return default
        return Period(kind, year, index)


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExemptionForm(ServiceErrorMixin, forms.Form):
    """不列入应到: a member of the branch, the reason, the period and the higher organization's consent."""

    member = MemberChoiceField(label=_("党员"), queryset=None)
    reason = forms.ChoiceField(label=_("原因"), choices=_blank(ExpectedExemption.Reason.choices))
    starts_on = forms.DateField(label=_("开始日期"), widget=_DATE)
    ends_on = forms.DateField(
        label=_("结束日期"), widget=_DATE, required=False, help_text=_("不填则长期有效，可随时结束")
    )
    consenting_org = forms.CharField(label=_("同意的上级组织"), max_length=200)
    consent_on = forms.DateField(label=_("同意日期"), widget=_DATE)
    document_number = forms.CharField(label=_("文号"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, members, **kw):
        super().__init__(*args, **kw)
        self.fields["member"].queryset = members


class EndExemptionForm(forms.Form):
    ends_on = forms.DateField(label=_("结束日期"), widget=_DATE, error_messages={"required": _("请填写结束日期")})


class ResolutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.text[:40]


class ProbationDecisionForm(ServiceErrorMixin, forms.Form):
    """A held 支部党员大会's decision about one of its probationary members, from a resolution that passed."""

    resolution = ResolutionChoiceField(label=_("依据的决议"), queryset=None)
    member = MemberChoiceField(label=_("预备党员"), queryset=None)
    kind = forms.ChoiceField(label=_("决定"), choices=_blank(ProbationDecision.Kind.choices))
    extension_months = forms.IntegerField(
        label=_("延长月数"), min_value=1, max_value=99, required=False, help_text=_("延长预备期的，填写 6 至 12 个月")
    )

    def __init__(self, *args, resolutions, members, **kw):
        super().__init__(*args, **kw)
        self.fields["resolution"].queryset = resolutions
        self.fields["member"].queryset = members


class ApprovalForm(ServiceErrorMixin, forms.Form):
    approved_on = forms.DateField(label=_("上级党委审批日期"), widget=_DATE)
    approving_org = forms.CharField(label=_("审批组织"), max_length=200)


class HomeDeliveryForm(forms.Form):
    """送学上门: the member (from the sheet, by id, or typed: name or phone) and a note."""

    member = forms.IntegerField(required=False, min_value=1)
    who = forms.CharField(label=_("姓名或手机号码"), max_length=50, required=False)
    note = forms.CharField(label=_("备注"), max_length=150, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("member") and not (data.get("who") or "").strip():
            raise forms.ValidationError(_("请选择或输入送学上门的党员"))
        return data


class GuestForm(forms.Form):
    """流动党员: found by name and full ID number, nothing less (no look-up of other branches' rosters)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, min_length=18)
