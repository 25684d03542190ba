"""``{% member_meeting_rules member %}``: the member page's section of issue 14's meeting rules.

The member page belongs to ``members``, which may not import ``activities``; a template may load
this tag library, so the section is one line of that page. It shows the member's 不列入应到
exemptions, probation decisions and the meetings attended elsewhere as a 流动党员 (present, not
expected, outside the member's branch: ``activities.presence``), with links for those who manage the
member's branch, in three queries whatever their number.
"""

from django import template
from django.utils import timezone

from branches import access

from ..exemptions import member_exemptions
from ..models import Attendance, ProbationDecision

register = template.Library()
ELSEWHERE_SHOWN = 12


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
        "elsewhere": list(
            Attendance.objects.filter(member=member, expected=False, status=Attendance.Status.PRESENT)
            .exclude(activity__branch__path__startswith=member.branch.path)
            .select_related("activity__branch")
            .order_by("-activity__starts_at")[:ELSEWHERE_SHOWN]
        ),
        "can_manage": access.has_perm(user, access.MANAGE, member.branch),
        "today": timezone.localdate(),
    }
