"""The site's menu: only the entries the user may open (issue 15, "First pages").

- everyone logged in: 首页;
- staff (any branch grant, ``access.is_staff_user``): 组织, 花名册, 活动, 政治体检, 报表, each open to
  any grant, and 导入 for those who manage a branch (the import page refuses others);
- a member record: the 我的 pages (我的活动, 我的档案, 我的体检), which answer 404 to an account
  without one. A plain member sees only these; staff see them as a 我的 group, absent without a
  member record;
- a grid head or grid worker (a service permission somewhere, ``access.serves_anywhere``): 诉求看板,
  which leads to the board of their community (issue 16).

Whether the account has a member record is read once, when the user logs in
(``note_member_at_login``, connected in ``BranchesConfig.ready``), and kept in the session, so
that the menu costs no query on any page: the grants it asks about are read once per request
by the view already (``access.grants``). A session from before this note reads it once, on its
next page. An account linked to a member record after logging in shows 我的 from its next log-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import access

MEMBER_SESSION_KEY = "partysite_has_member"


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class Menu:
    role: str  # "staff", "member" or "" (logged in with neither a grant nor a member record)
    entries: list[Entry] = field(default_factory=list)
    mine: list[Entry] = field(default_factory=list)  # the 我的 group (staff with a member record)

    def __iter__(self):
        return iter(self.entries + self.mine)


HOME = Entry(_("首页"), "home")
MY_PAGES = [
    Entry(_("我的活动"), "activities:mine"),
    Entry(_("我的档案"), "members:me"),
    Entry(_("我的体检"), "health:me"),
]
SERVING = Entry(_("诉求看板"), "service:serving")


def _has_member_record(user) -> bool:
    """The reverse one-to-one of ``members.Member.user`` (no import: members sits above branches)."""
    return hasattr(user, "member")


def note_member_at_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: note in the new session whether the account has a member record."""
    if request is not None and hasattr(request, "session"):
        request.session[MEMBER_SESSION_KEY] = _has_member_record(user)


def has_member(request) -> bool:
    """Whether the logged-in user has a member record: from the session, else read once and noted."""
    session = getattr(request, "session", None)
    if session is None:
        return _has_member_record(request.user)
    known = session.get(MEMBER_SESSION_KEY)
    if known is None:
        known = session[MEMBER_SESSION_KEY] = _has_member_record(request.user)
    return known


def staff_entries(user) -> list[Entry]:
    entries = [Entry(_("组织"), "branches:tree"), Entry(_("花名册"), "members:list")]
    if access.manages_any(user):
        entries.append(Entry(_("导入"), "members:import"))
    entries += [
        Entry(_("活动"), "activities:index"),
        Entry(_("政治体检"), "health:index"),
        Entry(_("报表"), "reports:home"),
    ]
    return entries


def menu_for(request) -> Menu:
    """The menu of the request's user (an empty one for a visitor not logged in)."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return Menu("")
    member = has_member(request)
    serving = [SERVING] if access.serves_anywhere(user) else []
    if access.is_staff_user(user):
        return Menu("staff", [HOME, *staff_entries(user), *serving], MY_PAGES if member else [])
    if member:
        return Menu("member", [HOME, *MY_PAGES, *serving])
    return Menu("", [HOME, *serving])
