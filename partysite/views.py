from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from branches import access


@login_required
def home(request):
    """Staff go to their organization tree; members to their own page."""
    if access.is_staff_user(request.user):
        return redirect("branches:tree")
    if hasattr(request.user, "member"):
        return redirect("members:me")
    return render(request, "home.html")
