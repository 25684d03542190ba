"""Who may do what, and where: the one module that answers every access question.

Permissions are object permissions on ``Branch`` (django-guardian, direct foreign-key
tables). A grant on a branch holds for the whole subtree below it. Every view fetches
through the scoped querysets built here: an object outside the user's subtree answers
404, a visible one without the needed permission 403.

A user's grants are read once (one query) and cached on the user object, so that
checking a permission for every row of a page costs no further query.
"""

from __future__ import annotations

from functools import lru_cache, wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Branch, BranchGroupObjectPermission, BranchUserObjectPermission, paths_q

VIEW = "view_branch"
MANAGE = "manage_branch"
REVIEW = "review_health"
SENSITIVE = "view_sensitive"
ALL_PERMS = (VIEW, MANAGE, REVIEW, SENSITIVE)

_CACHE_ATTR = "_partysite_grants"


def grants(user) -> dict[str, list[str]]:
    """Map each permission codename to the paths of the branches where ``user`` holds it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {perm: [] for perm in ALL_PERMS}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        result = {perm: [""] for perm in ALL_PERMS}
    else:
        result = {perm: [] for perm in ALL_PERMS}
        with connection.cursor() as cursor:
            cursor.execute(_grants_sql(), [user.pk, user.pk])
            for codename, path in cursor.fetchall():
                if codename in result:
                    result[codename].append(path)
    setattr(user, _CACHE_ATTR, result)
    return result


@lru_cache(maxsize=1)
def _grants_sql() -> str:
    """One plain statement for a user's direct and group grants.

    Written in SQL because it runs on every request: the ORM's UNION costs more to build
    than the query costs to run.
    """
    user_table = BranchUserObjectPermission._meta.db_table
    group_table = BranchGroupObjectPermission._meta.db_table
    membership = get_user_model()._meta.get_field("groups").remote_field.through._meta.db_table
    permission = Permission._meta.db_table
    branch = Branch._meta.db_table
    return (
        f"SELECT p.codename, b.path FROM {user_table} g "
        f"JOIN {permission} p ON p.id = g.permission_id JOIN {branch} b ON b.id = g.content_object_id "
        f"WHERE g.user_id = %s "
        f"UNION ALL SELECT p.codename, b.path FROM {group_table} g "
        f"JOIN {membership} m ON m.group_id = g.group_id "
        f"JOIN {permission} p ON p.id = g.permission_id JOIN {branch} b ON b.id = g.content_object_id "
        f"WHERE m.user_id = %s"
    )


def forget(user) -> None:
    """Drop the cached grants of ``user`` (after a grant or revoke)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _covers(paths: list[str], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def has_perm(user, perm: str, branch: Branch) -> bool:
    """True if ``user`` holds ``perm`` on ``branch`` or any of its ancestors.

    Reading (``VIEW``) is implied by every other permission.
    """
    if perm == VIEW:
        return can_view(user, branch)
    return _covers(grants(user)[perm], branch.path)


def has_perm_anywhere(user, perm: str) -> bool:
    return bool(grants(user)[perm])


def visible_paths(user) -> list[str]:
    """Roots of the subtrees ``user`` may read: any permission implies reading."""
    g = grants(user)
    return sorted({p for perm in ALL_PERMS for p in g[perm]})


def can_view(user, branch: Branch) -> bool:
    return _covers(visible_paths(user), branch.path)


def is_staff_user(user) -> bool:
    """Has any branch grant (a secretary, an organization department, an inspector)."""
    return bool(visible_paths(user))


def visible_branches(user):
    """Branches in any subtree ``user`` may read."""
    return Branch.objects.filter(paths_q(visible_paths(user), "path"))


def branch_scope_q(user, field: str = "branch__path") -> Q:
    """``Q`` restricting rows whose branch path is ``field`` to what ``user`` may read."""
    return paths_q(visible_paths(user), field)


def perm_scope_q(user, perm: str, field: str = "branch__path") -> Q:
    """``Q`` restricting rows to the subtrees where ``user`` holds ``perm``."""
    return paths_q(grants(user)[perm], field)


def top_branches(user):
    """The highest branches ``user`` may read (the roots of their subtrees)."""
    from .models import minimal_paths

    paths = minimal_paths(visible_paths(user))
    if "" in paths:  # a superuser: every root
        return Branch.objects.filter(depth=1).order_by("path")
    return Branch.objects.filter(path__in=paths).order_by("path")


def require(user, perm: str, branch: Branch) -> None:
    """404 if ``branch`` is outside what ``user`` may read, 403 if they lack ``perm`` there."""
    if not can_view(user, branch):
        raise Http404("不在您可查看的范围内")
    if not has_perm(user, perm, branch):
        raise PermissionDenied("您没有此操作的权限")


def get_branch_or_404(user, **lookup) -> Branch:
    return get_object_or_404(visible_branches(user), **lookup)


def can_view_sensitive(user, branch: Branch) -> bool:
    return has_perm(user, SENSITIVE, branch)


def grant(user, perm: str, branch: Branch) -> None:
    """Give ``user`` ``perm`` on ``branch`` (and so on its subtree). Idempotent."""
    permission = Permission.objects.get(content_type__app_label="branches", codename=perm)
    BranchUserObjectPermission.objects.get_or_create(user=user, permission=permission, content_object=branch)
    forget(user)


def revoke(user, perm: str, branch: Branch) -> None:
    BranchUserObjectPermission.objects.filter(
        user=user, permission__codename=perm, permission__content_type__app_label="branches", content_object=branch
    ).delete()
    forget(user)


def holders(perm: str, branch: Branch):
    """Users holding ``perm`` directly on ``branch``."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            branchuserobjectpermission__permission__codename=perm,
            branchuserobjectpermission__content_object=branch,
        )
        .distinct()
    )


def branch_permission_required(perm: str, *, lookup: str = "code", kwarg: str = "code"):
    """Decorator for function views taking a branch identifier in the URL.

    Loads the branch through the user's scope (404 outside it), checks ``perm`` (403
    without it), and passes the branch to the view as ``branch``.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            branch = get_branch_or_404(request.user, **{lookup: kwargs.pop(kwarg)})
            require(request.user, perm, branch)
            return view(request, *args, branch=branch, **kwargs)

        return wrapper

    return decorator


class BranchPermissionMixin(AccessMixin):
    """Mixin for class views: ``branch_perm`` is checked on ``get_branch()``."""

    branch_perm: str = VIEW

    def get_branch(self) -> Branch:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.branch = self.get_branch()
        require(request.user, self.branch_perm, self.branch)
        return super().dispatch(request, *args, **kwargs)


def staff_required(view):
    """Views for users with at least one branch grant; others 403, anonymous to log-in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not is_staff_user(request.user):
            raise PermissionDenied("您没有管理权限")
        return view(request, *args, **kwargs)

    return wrapper


def login_required(view):
    """Re-exported so views need no other access module."""
    from django.contrib.auth.decorators import login_required as _login_required

    return _login_required(view)


def holders_branches(user, perm: str) -> list[int]:
    """Ids of the branches where ``user`` holds ``perm`` directly (not through a group)."""
    return list(
        BranchUserObjectPermission.objects.filter(user=user, permission__codename=perm).values_list(
            "content_object_id", flat=True
        )
    )
