"""Forms of the roster pages. They only parse what people type; the rules live in
``members.rules`` and ``members.services``, whose problems are shown on the matching field."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from branches.picker import BranchChildField, BranchChoiceField, Scope
from core.masking import mask_phone

from . import selectors
from .models import Member, probation_end
from .rules import MemberData

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "---------"), *choices]


def _child_field(label, *, parent: str, kind: str) -> BranchChildField:
    return BranchChildField(
        label=label,
        parent=parent,
        kind=kind,
        required=False,
        help_text=_("先选择党组织，再从其下级中选择"),
        error_messages={"invalid_choice": _("“%(value)s”不是所选党组织的下级组织")},
    )


def _posted_branch(form: forms.Form, name: str) -> Branch | None:
    """The branch a bound form names in its picker ``name``, if valid: whose groups the form offers."""
    if not form.is_bound:
        return None
    try:
        return form.fields[name].clean(form.data.get(name))
    except forms.ValidationError:
        return None


class RosterPlaceForm(forms.Form):
    """The roster's 党组织 and 党小组 filters: pickers of what the user may read. One not found is an
    error on its filter, which is then not applied."""

    branch = BranchChoiceField(label=_("党组织"), required=False, help_text="")
    group = BranchChoiceField(label=_("党小组"), required=False, help_text="", scope=Scope(kinds=(Branch.Kind.GROUP,)))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.for_user(user)

    def chosen(self, name: str) -> Branch | None:
        self.is_valid()  # cleans once; a field in error is left out of cleaned_data
        return self.cleaned_data.get(name)


class ProblemsMixin:
    """Show a service's ``(field, message)`` problems on the form, unknown fields at the top."""

    field_aliases: dict[str, str] = {}

    def add_problems(self, problems) -> None:
        for field, message in problems:
            field = self.field_aliases.get(field, field)
            self.add_error(field if field in self.fields else None, message)


class MemberForm(ProblemsMixin, forms.Form):
    """Create a member (``member`` None) or edit one (the ID number and branch are then fixed)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=30)
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=_blank(Member.Sex.choices))
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=_DATE)
    ethnicity = forms.CharField(label=_("民族"), max_length=20, initial="汉族")
    education = forms.ChoiceField(label=_("学历"), required=False, choices=_blank(Member.Education.choices))
    phone = forms.CharField(label=_("手机号码"), required=False, max_length=30)
    branch = BranchChoiceField(label=_("党组织"), scope=selectors.HOME_SCOPE)
    group = _child_field(_("党小组"), parent="branch", kind=Branch.Kind.GROUP)
    household = _child_field(_("党员中心户"), parent="branch", kind=Branch.Kind.HOUSEHOLD)
    occupation = forms.ChoiceField(label=_("职业类别"), choices=Member.Occupation.choices)
    situation = forms.ChoiceField(
        label=_("党员状况"),
        choices=Member.Situation.choices,
        help_text=_("流动：外出半年以上、在外地参加组织生活；失联：无法取得联系"),
    )
    status = forms.ChoiceField(label=_("党员状态"), choices=Member.Status.choices)
    joined_on = forms.DateField(label=_("入党日期"), widget=_DATE)
    confirmed_on = forms.DateField(
        label=_("转正日期"),
        required=False,
        widget=_DATE,
        help_text=_("正式党员留空则为预备期期满之日（入党日期满一年，含延长的预备期）"),
    )

    def __init__(self, *args, user, member: Member | None = None, branch: Branch | None = None, **kwargs):
        self.member = member
        # The phone is shown masked, as on every page, ``view_sensitive`` or not (the full number
        # is the member page's audited "显示"); sent back unchanged, it keeps the stored number.
        self.phone_masked = member is not None
        if member is not None:
            kwargs.setdefault("initial", _initial_of(member, masked=self.phone_masked))
        elif branch is not None:
            kwargs.setdefault("initial", {}).setdefault("branch", branch)
        super().__init__(*args, **kwargs)
        if member is not None:
            # Neither may change here: the number never, the branch only by a transfer. Nor the
            # birth date, which is the number's and so is not shown either (pages show an age).
            del self.fields["id_number"], self.fields["branch"], self.fields["birth_date"]
            home = member.branch
        else:
            self.fields["branch"].for_user(user)
            home = _posted_branch(self, "branch") if self.is_bound else branch
        if self.phone_masked:
            self.fields["phone"].help_text = _("中间四位已隐藏；不修改则保留原号码")
        # Only the chosen branch's groups and households: a few, never every one of a city.
        self.fields["group"].queryset = selectors.groups_under(user, home)
        self.fields["household"].queryset = selectors.groups_under(user, home, kind=Branch.Kind.HOUSEHOLD)

    def _phone(self, value: str) -> str:
        if self.phone_masked and value == mask_phone(self.member.phone):
            return self.member.phone
        return value

    def to_data(self) -> MemberData:
        d = self.cleaned_data
        if self.member is not None:
            # The service checks the record as a whole, so it needs the number; it is
            # decrypted here only to be handed back to the service, never rendered.
            id_number, branch = self.member.id_number, self.member.branch
        else:
            id_number, branch = d["id_number"], d["branch"]
        return MemberData(
            name=d["name"],
            id_number=id_number,
            branch=branch,
            joined_on=d["joined_on"],
            status=d["status"],
            occupation=d["occupation"],
            situation=d["situation"],
            sex=d.get("sex") or "",
            birth_date=d.get("birth_date"),
            ethnicity=d.get("ethnicity") or "汉族",
            education=d.get("education") or "",
            phone=self._phone(d.get("phone") or ""),
            group=d.get("group"),
            household=d.get("household"),
            confirmed_on=d.get("confirmed_on") or self._probation_end(d),
        )

    def _probation_end(self, d: dict):
        """A full member's 转正 date left blank: the day the probation ended (``probation_end``)."""
        if d["status"] != Member.Status.FULL or d.get("joined_on") is None:
            return None
        extension = self.member.probation_extension_months if self.member is not None else 0
        return probation_end(d["joined_on"], extension)


def _initial_of(member: Member, *, masked: bool) -> dict:
    return {
        "name": member.name,
        "sex": member.sex,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": mask_phone(member.phone) if masked else member.phone,
        "group": member.group.code if member.group_id else None,
        "household": member.household.code if member.household_id else None,
        "occupation": member.occupation,
        "situation": member.situation,
        "status": member.status,
        "joined_on": member.joined_on,
        "confirmed_on": member.confirmed_on,
    }


class TransferForm(ProblemsMixin, forms.Form):
    to_branch = BranchChoiceField(label=_("转入党组织"), scope=selectors.HOME_SCOPE)
    group = _child_field(_("转入党小组"), parent="to_branch", kind=Branch.Kind.GROUP)
    on = forms.DateField(label=_("转接日期"), widget=_DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("说明"), required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_branch"].for_user(user)  # the member's own branch: the service says so (same_branch)
        self.fields["group"].queryset = selectors.groups_under(user, _posted_branch(self, "to_branch"))


# 其他 stays readable on rows recorded before the reasons were listed; it is not offered.
LEFT_REASON_CHOICES = [(value, label) for value, label in Member.LeftReason.choices if value != Member.LeftReason.OTHER]


class LeaveForm(ProblemsMixin, forms.Form):
    on = forms.DateField(label=_("离册日期"), widget=_DATE, initial=timezone.localdate)
    reason = forms.ChoiceField(label=_("离册原因"), choices=_blank(LEFT_REASON_CHOICES))
    note = forms.CharField(label=_("说明"), required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(ProblemsMixin, forms.Form):
    """转正 on the day the probation ends (the initial value); another date needs a reason."""

    confirmed_on = forms.DateField(label=_("转正日期"), widget=_DATE)
    reason = forms.CharField(
        label=_("另定日期的原因"),
        required=False,
        max_length=200,
        help_text=_("转正日期为预备期期满之日；只有另定日期时才填写"),
    )

    def __init__(self, *args, member: Member, **kwargs):
        kwargs.setdefault("initial", {"confirmed_on": member.probation_ends_on})
        super().__init__(*args, **kwargs)


class ActivateForm(ProblemsMixin, forms.Form):
    """A member claims their account with what the roster holds about them."""

    field_aliases = {"password": "password1"}

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=30)
    phone = forms.CharField(label=_("手机号码"), max_length=30)
    # Required by the service only for a member holding a committee position (account_activate).
    code = forms.CharField(
        label=_("激活码"),
        required=False,
        max_length=30,
        help_text=_("担任支委及以上职务或网格长、网格员的党员须填写上级党组织签发的激活码，其他党员不填"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    password1 = forms.CharField(
        label=_("设置密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return cleaned
