"""``/``: each role lands on a page of what to do now (issue 15; reads in ``reports.home``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from branches.menu import has_member
from members.models import Member
from reports import home as pages


@login_required
def home(request):
    """A member: the next activity, attendance, dues, score, 学时; a secretary: what waits on
    their branches; an organization department: how the subtree stands. Without a grant or a
    member record: whom to ask."""
    user = request.user
    role = pages.home_role(user, member=has_member(request))
    if role == pages.MEMBER:
        member = Member.objects.filter(user=user).select_related("branch").first()
        if member is not None:
            return render(request, "home/member.html", {"home": pages.member_home(member)})
    elif role == pages.SECRETARY:
        return render(request, "home/secretary.html", {"home": pages.secretary_home(user)})
    elif role == pages.ORGDEPT:
        return render(request, "home/orgdept.html", {"home": pages.orgdept_home(user)})
    return render(request, "home.html")
