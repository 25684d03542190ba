"""The admin is for superusers only.

The admin's lists and forms are not scoped to a user's branches (``branches/access.py`` is what
scopes the site's own pages), so a staff user with branch grants would see and change other
villages' activities, attendance and health checks there. Rather than scope every ``ModelAdmin``,
the admin site lets in superusers alone: ``SuperuserAdminConfig`` replaces
``django.contrib.admin`` in ``INSTALLED_APPS`` and makes ``SuperuserAdminSite`` the default site,
so every ``@admin.register`` (ours and the libraries') lands on it.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class SuperuserAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "partysite.admin_site.SuperuserAdminSite"
