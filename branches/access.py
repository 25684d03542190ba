"""Who may do what, and where: the one module that answers every access question.

Permissions are object permissions on ``Branch`` (django-guardian, direct foreign-key
tables). A grant on a branch holds for the whole subtree below it. Every view fetches
through the scoped querysets built here: an object outside the user's subtree answers
404, a visible one without the needed permission 403.

A user's grants are read once (one query) and cached on the user object, so that
checking a permission for every row of a page costs no further query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial, wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from .models import Branch, BranchGroupObjectPermission, BranchUserObjectPermission, paths_q

VIEW = "view_branch"
MANAGE = "manage_branch"
REVIEW = "review_health"
SENSITIVE = "view_sensitive"
# 为民服务 (issue 16), granted by grid positions (members.models.Position.TITLE_GRANTS): a community's
# requests only. Neither implies reading the branch (roster, activities, registrations): they open the
# service pages that ask for them, and nothing else.
SERVE = "serve_community"  # 网格员: the board, a request, a progress note, a request entered for a resident
DISPATCH = "dispatch_requests"  # 网格长: those, and dispatching, closing with a reason, the grids' posters
READ_PERMS = (VIEW, MANAGE, REVIEW, SENSITIVE)  # each implies reading the subtree
SERVICE_PERMS = (SERVE, DISPATCH)
ALL_PERMS = READ_PERMS + SERVICE_PERMS

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
        for codename, path in _grant_rows(user):
            if codename in result:
                result[codename].append(path)
    setattr(user, _CACHE_ATTR, result)
    return result


def _grant_rows(user):
    """(codename, branch path) of the user's direct and group grants: one query."""
    fields = ("permission__codename", "content_object__path")
    direct = BranchUserObjectPermission.objects.filter(user=user).values_list(*fields)
    through_groups = BranchGroupObjectPermission.objects.filter(group__user=user).values_list(*fields)
    return direct.union(through_groups, all=True)


def forget(user) -> None:
    """Drop the cached grants of ``user`` (after a grant or revoke)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def within(path: str, roots: Iterable[str]) -> bool:
    """The subtree test: the branch at materialized ``path`` lies in the subtree of one of ``roots``."""
    return any(path.startswith(root) for root in roots)


def holds(user, perm: str, path: str) -> bool:
    """True if ``user`` holds ``perm`` at the branch whose path is ``path`` (a grant above counts).

    Reading (``VIEW``) is implied by every other permission. ``holds(user, SENSITIVE, path)`` is
    "may see full ID numbers and phones at this path", for rows read as plain values.
    """
    roots = visible_paths(user) if perm == VIEW else grants(user)[perm]
    return within(path, roots)


def path_test(user, perm: str) -> Callable[[str], bool]:
    """``holds`` as a test of paths, for checking many rows; ``user`` None is the system
    (management commands, tasks without a user), allowed everywhere."""
    if user is None:
        return lambda path: True
    return partial(holds, user, perm)


def has_perm(user, perm: str, branch: Branch) -> bool:
    """True if ``user`` holds ``perm`` on ``branch`` or any of its ancestors."""
    return holds(user, perm, branch.path)


def has_any(user, perms: Iterable[str], branch: Branch) -> bool:
    """True if ``user`` holds at least one of ``perms`` on ``branch`` (or above it)."""
    return any(has_perm(user, perm, branch) for perm in perms)


def has_perm_anywhere(user, perm: str) -> bool:
    return bool(grants(user)[perm])


def manages_any(user) -> bool:
    """Manages some branch: a secretary or committee member somewhere (the pages for secretaries)."""
    return has_perm_anywhere(user, MANAGE)


def visible_paths(user) -> list[str]:
    """Roots of the subtrees ``user`` may read: any permission but the service ones implies reading."""
    g = grants(user)
    return sorted({p for perm in READ_PERMS for p in g[perm]})


def can_view(user, branch: Branch) -> bool:
    return within(branch.path, visible_paths(user))


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


def top_branches(user, perm: str = VIEW):
    """The highest branches where ``user`` holds ``perm`` (the roots of their subtrees)."""
    from .models import minimal_paths

    paths = minimal_paths(visible_paths(user) if perm == VIEW else grants(user)[perm])
    if "" in paths:  # a superuser: every root
        return Branch.objects.filter(depth=1).order_by("path")
    return Branch.objects.filter(path__in=paths).order_by("path")


def require_any(user, perms: Iterable[str], branch: Branch, message: str | None = None) -> None:
    """404 if ``branch`` is outside what ``user`` may read, 403 if they hold none of ``perms`` there."""
    if not can_view(user, branch):
        raise Http404(_("不在您可查看的范围内"))
    deny_unless(user, perms, branch, message)


def deny_unless(user, perms: Iterable[str], branch: Branch, message: str | None = None) -> None:
    """403 unless ``user`` holds one of ``perms`` on ``branch``, whose visibility the caller checked
    (the parent that decides on moving a branch may lie above what the user sees)."""
    if not has_any(user, perms, branch):
        raise PermissionDenied(message or _("您没有此操作的权限"))


def require(user, perm: str, branch: Branch, message: str | None = None) -> None:
    """``require_any`` with one permission."""
    require_any(user, (perm,), branch, message)


def require_manager(user, message: str | None = None) -> None:
    """403 unless ``user`` manages some branch (``manages_any``)."""
    if not manages_any(user):
        raise PermissionDenied(message or _("您没有管理权限"))


def managed_or_404(user, queryset, *, perms: Iterable[str] = (MANAGE,), message: str | None = None, **lookup):
    """The row of ``queryset`` matching ``lookup``, for acting on it (a member, a position, a check).

    ``queryset`` is already scoped to what ``user`` may see (``Member.objects.visible_to(user)``):
    a row outside it answers 404; a visible row answers 403 unless ``user`` holds one of
    ``perms`` on its ``branch``.
    """
    obj = get_object_or_404(queryset, **lookup)
    deny_unless(user, perms, obj.branch, message)
    return obj


def get_branch_or_404(user, **lookup) -> Branch:
    return get_object_or_404(visible_branches(user), **lookup)


def service_paths(user) -> list[str]:
    """Roots of the subtrees whose service pages (issue 16) ``user`` may open: what they read, and where
    they serve (``SERVE``, ``DISPATCH``) without reading."""
    g = grants(user)
    return sorted(set(visible_paths(user)) | {p for perm in SERVICE_PERMS for p in g[perm]})


def holds_any_grant(user) -> bool:
    """Holds any branch permission, the service ones included (who is not remembered on a phone by default)."""
    g = grants(user)
    return any(g[perm] for perm in ALL_PERMS)


def serves_anywhere(user) -> bool:
    """Holds a service permission somewhere (a grid head or grid worker): the menu's 诉求看板."""
    return any(grants(user)[perm] for perm in SERVICE_PERMS)


def service_scope_q(user, field: str = "community__path") -> Q:
    """``Q`` restricting a community's service rows to ``service_paths``."""
    return paths_q(service_paths(user), field)


def service_branch_or_404(user, perms: Iterable[str], **lookup) -> Branch:
    """A community for its service pages: 404 outside ``service_paths``, 403 without one of ``perms``."""
    branch = get_object_or_404(Branch.objects.filter(paths_q(service_paths(user), "path")), **lookup)
    deny_unless(user, perms, branch)
    return branch


def can_view_sensitive(user, branch: Branch) -> bool:
    return has_perm(user, SENSITIVE, branch)


def manages_every_grant_of(user, other) -> bool:
    """``user`` manages every branch where ``other`` holds any permission (a superuser's "everywhere"
    included): whatever ``other``'s account may do, ``user`` may do already. Who may take an account
    over, e.g. reset its password (members/password_reset.py)."""
    return all(holds(user, MANAGE, path) for perm in ALL_PERMS for path in grants(other)[perm])


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


def branch_permission_required(*perms: str, lookup: str = "code", kwarg: str = "code"):
    """Decorator for function views taking a branch identifier in the URL.

    Loads the branch through the user's scope (404 outside it), checks that the user holds any
    of ``perms`` there (403 without), and passes the branch to the view as ``branch``.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            branch = get_branch_or_404(request.user, **{lookup: kwargs.pop(kwarg)})
            require_any(request.user, perms, branch)
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
            raise PermissionDenied(_("您没有管理权限"))
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
