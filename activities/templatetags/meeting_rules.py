"""``{% member_meeting_rules member %}``: the member page's section of issue 14's meeting rules.

The member page belongs to ``members``, which may not import ``activities``; a template may load
this tag library, so the section is one line of that page. It shows the member's 不列入应到
exemptions and probation decisions, with links for those who manage the member's branch, in
two queries whatever their number.
"""

from django import template
from django.utils import timezone

from branches import access

from ..exemptions import member_exemptions
from ..models import ProbationDecision

register = template.Library()


@register.inclusion_tag("activities/_member_rules.html", takes_context=True)
def member_meeting_rules(context, member):
    user = context["request"].user
    return {
        "member": member,
        "exemptions": list(member_exemptions(member)),
        "decisions": list(
            ProbationDecision.objects.filter(member=member)
            .select_related("resolution__activity", "recorded_by")
            .order_by("-decided_on", "-pk")
        ),
        "can_manage": access.has_perm(user, access.MANAGE, member.branch),
        "today": timezone.localdate(),
    }
