from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .models import Member


@login_required
def me(request):
    member = Member.objects.filter(user=request.user).select_related("branch").first()
    if member is None:
        raise Http404("您的账号没有关联党员档案")
    return render(request, "members/me.html", {"member": member})
