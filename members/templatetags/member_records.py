"""``{% member_records member %}``: the member page's sections of dues, commendations, sanctions and
the notes on the 党章 art. 9 warning.

A tag rather than context from the member view, so the sections can be included in the page
with one line; they run four queries whatever the number of records.
"""

from django import template
from django.utils import timezone

from branches import access

from ..dues.rules import dues_amount, month_start
from ..records_views import COMMENDATION_PERMS, LAPSE_NOTE_PERMS, SANCTION_PERMS

register = template.Library()
DUES_MONTHS_SHOWN = 12


@register.inclusion_tag("members/records_section.html", takes_context=True)
def member_records(context, member):
    user = context["request"].user
    return {
        "member": member,
        "dues": list(member.dues_payments.order_by("-month")[:DUES_MONTHS_SHOWN]),
        "due_now": dues_amount(occupation=member.occupation, monthly_income=member.monthly_income),
        "this_month": month_start(timezone.localdate()),
        "can_manage_dues": member.is_active and access.has_perm(user, access.MANAGE, member.branch),
        "commendations": list(member.commendations.select_related("recorded_by").order_by("-awarded_on", "-pk")),
        "sanctions": list(member.sanctions.select_related("recorded_by").order_by("-imposed_on", "-pk")),
        "can_commend": access.has_any(user, COMMENDATION_PERMS, member.branch),
        "can_sanction": access.has_any(user, SANCTION_PERMS, member.branch),
        "lapse_notes": list(member.lapse_notes.select_related("recorded_by").order_by("-recorded_at", "-pk")),
        "can_note_lapse": member.is_active and access.has_any(user, LAPSE_NOTE_PERMS, member.branch),
    }
