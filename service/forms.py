"""Forms of the service pages: they read input; the rules are the services' (service.services)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from branches.picker import BranchChoiceField, Scope

from .models import COMMUNITY_KINDS, Grid, ServicePost, ServiceRequest


class AskForm(forms.Form):
    """The resident's request (also entered by a grid worker on their behalf)."""

    category = forms.ChoiceField(label=_("诉求类别"), choices=ServiceRequest.Category.choices)
    text = forms.CharField(label=_("需要什么帮助"), widget=forms.Textarea(attrs={"rows": 4}), max_length=1000)
    name = forms.CharField(label=_("称呼"), max_length=50)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )


class TrackForm(forms.Form):
    receipt = forms.CharField(label=_("受理编号"), max_length=16)
    secret = forms.CharField(label=_("查询码"), max_length=16)


class RateForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("满意程度"),
        coerce=int,
        choices=[
            (5, _("5星 非常满意")),
            (4, _("4星 满意")),
            (3, _("3星 基本满意")),
            (2, _("2星 不满意")),
            (1, _("1星 很不满意")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("评价"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommunityScope(Scope):
    """The organizations that accept registrations (``COMMUNITY_KINDS``, not dissolved), whoever asks: a member
    reports where they live, outside their own subtree, so the search is not the user's grants but this list
    (the view ``service:communities``; only organizations' names and codes)."""

    def queryset(self, user):
        return Branch.objects.filter(kind__in=COMMUNITY_KINDS).current()

    def search_url(self) -> str:
        return f"{reverse('service:communities')}?scope=community"


COMMUNITIES = CommunityScope(kinds=tuple(COMMUNITY_KINDS), current=True)


class RegisterForm(forms.Form):
    """A member's 报到: the community with the site's picker (its name or code, without script too), then its
    grid and post chosen from the community's lists (a second step once the community is known)."""

    community = BranchChoiceField(
        label=_("报到社区"),
        scope=COMMUNITIES,
        help_text=_("输入社区党组织的名称或组织编码"),
        error_messages={"unknown": _("没有这个名称或组织编码的社区党组织")},
    )
    grid = forms.IntegerField(label=_("网格"), required=False)
    post = forms.IntegerField(label=_("服务岗位"), required=False)
    skills = forms.CharField(label=_("特长"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].for_user(user)

    def clean(self):
        data = super().clean()
        community = data.get("community")
        if community is None:
            return data
        for name, model, message in (
            ("grid", Grid, _("所选网格不属于该社区或已停用")),
            ("post", ServicePost, _("所选服务岗位不属于该社区或已停用")),
        ):
            pk = data.get(name)
            found = model.objects.filter(community=community, pk=pk, is_active=True).first() if pk else None
            if pk and found is None:
                self.add_error(name, message)
            data[name] = found
        return data


class CompleteForm(forms.Form):
    hours = forms.CharField(
        label=_("服务时长（小时）"), max_length=8, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    note = forms.CharField(
        label=_("办结说明"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NameForm(forms.Form):
    kind = forms.ChoiceField(choices=[("grid", "grid"), ("post", "post"), ("team", "team")], widget=forms.HiddenInput)
    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)


class UnitForm(forms.Form):
    """A unit's Party organization reporting to the community (双报到), chosen with the picker like the
    members' communities (a current 党委, 党总支 or 党支部 anywhere on the site), with its contact."""

    unit = BranchChoiceField(
        label=_("单位党组织"),
        scope=COMMUNITIES,
        help_text=_("输入单位党组织的名称或组织编码"),
        error_messages={"unknown": _("没有这个名称或组织编码的单位党组织")},
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=11)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].for_user(user)
