"""Shared fixtures: a small tree of two towns, and the personas of the permission matrix.

town (党委 T)                     other_town (党委 O)
  village_a (党总支)                 village_c (党总支)
    branch_a (党支部) - group_a - household_a   branch_c (党支部)
  village_b (党总支)
    branch_b (党支部)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from branches import access
from branches.models import Branch
from tests.factories import MemberFactory, UserFactory, make_branch


@dataclass
class Tree:
    town: Branch
    village_a: Branch
    branch_a: Branch
    group_a: Branch
    household_a: Branch
    village_b: Branch
    branch_b: Branch
    other_town: Branch
    village_c: Branch
    branch_c: Branch


@pytest.fixture
def tree(db) -> Tree:
    town = make_branch(None, Branch.Kind.COMMITTEE, name="城关镇党委", code="TOWN")
    village_a = make_branch(town, Branch.Kind.GENERAL_BRANCH, name="东村党总支", code="VA")
    branch_a = make_branch(village_a, Branch.Kind.BRANCH, name="东村第一网格党支部", code="BA", grid_name="东一网格")
    group_a = make_branch(branch_a, Branch.Kind.GROUP, name="东一第一党小组", code="GA")
    household_a = make_branch(group_a, Branch.Kind.HOUSEHOLD, name="张家中心户", code="HA")
    village_b = make_branch(town, Branch.Kind.GENERAL_BRANCH, name="西村党总支", code="VB")
    branch_b = make_branch(village_b, Branch.Kind.BRANCH, name="西村第一网格党支部", code="BB")
    other_town = make_branch(None, Branch.Kind.COMMITTEE, name="南岭镇党委", code="OTHER")
    village_c = make_branch(other_town, Branch.Kind.GENERAL_BRANCH, name="南村党总支", code="VC")
    branch_c = make_branch(village_c, Branch.Kind.BRANCH, name="南村党支部", code="BC")
    return Tree(town, village_a, branch_a, group_a, household_a, village_b, branch_b, other_town, village_c, branch_c)


@pytest.fixture
def member_a(tree):
    """An ordinary member of branch A with an account."""
    user = UserFactory(username="member_a")
    return MemberFactory(branch=tree.branch_a, group=tree.group_a, name="李明", user=user)


@pytest.fixture
def member_b(tree):
    return MemberFactory(branch=tree.branch_b, name="王芳")


@pytest.fixture
def member_c(tree):
    return MemberFactory(branch=tree.branch_c, name="陈刚")


def _staff(username: str, grants: list[tuple[str, Branch]]):
    user = UserFactory(username=username)
    for perm, branch in grants:
        access.grant(user, perm, branch)
    return user


@pytest.fixture
def secretary_a(tree):
    return _staff("secretary_a", [(access.MANAGE, tree.branch_a)])


@pytest.fixture
def secretary_b(tree):
    return _staff("secretary_b", [(access.MANAGE, tree.branch_b)])


@pytest.fixture
def orgdept(tree):
    """Organization department of the town: manages, reviews and sees sensitive data in it."""
    return _staff(
        "orgdept",
        [(access.MANAGE, tree.town), (access.REVIEW, tree.town), (access.SENSITIVE, tree.town)],
    )


@pytest.fixture
def other_orgdept(tree):
    return _staff("other_orgdept", [(access.MANAGE, tree.other_town), (access.REVIEW, tree.other_town)])


@pytest.fixture
def reviewer(tree):
    """Reviews the town without view_sensitive."""
    return _staff("reviewer", [(access.VIEW, tree.town), (access.REVIEW, tree.town)])


@pytest.fixture
def viewer(tree):
    """May read the town, nothing more."""
    return _staff("viewer", [(access.VIEW, tree.town)])


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


PERSONAS = ["anonymous", "member_a", "secretary_a", "secretary_b", "orgdept", "other_orgdept", "reviewer", "viewer"]


@pytest.fixture
def login_as(client, request):
    """``login_as("secretary_a")`` returns a client logged in as that persona ("anonymous": none)."""

    def _login(persona: str):
        client.logout()
        if persona == "anonymous":
            return client
        obj = request.getfixturevalue(persona)
        user = obj.user if hasattr(obj, "user") and not hasattr(obj, "is_authenticated") else obj
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def bulk_members(db):
    """``bulk_members(branch, 300)`` adds that many active members in one insert (distinct valid ID numbers)."""
    import datetime

    from members.idnumbers import make_id_number
    from members.models import Member

    def _make(branch: Branch, count: int, **fields) -> list[Member]:
        members = []
        for i in range(count):
            birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=i // 400)
            member = Member(
                name=fields.get("name", f"成员{i:05d}"),
                sex=Member.Sex.MALE,
                birth_date=birth,
                phone=f"137{branch.pk % 100:02d}{i:06d}",
                branch=branch,
                joined_on=datetime.date(2000, 7, 1),
                confirmed_on=datetime.date(2001, 7, 1),
                **{k: v for k, v in fields.items() if k != "name"},
            )
            member.set_id_number(make_id_number(f"3301{branch.pk % 100:02d}", birth, i % 400, "M"))
            members.append(member)
        return Member.objects.bulk_create(members)

    return _make


def pytest_collection_modifyitems(items):
    """Under pytest-xdist (``make test``: ``-n auto --dist loadgroup``) the tests that start the
    site's own processes (a Celery worker, gunicorn) or run long run one after the other on one
    worker, so two of them never compete for the cores; every other test goes where there is room."""
    for item in items:
        if item.get_closest_marker("celery_worker") or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.xdist_group("live"))


MATRIX_CASES = pytest.StashKey[list]()  # the workers' counts, on the xdist controller


def _matrix_cases() -> int:
    import sys

    module = sys.modules.get("tests.test_permission_matrix")
    return len(module.CASES) if module is not None else 0


def pytest_sessionfinish(session):
    """An xdist worker hands its count of permission-matrix cases to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["matrix_cases"] = _matrix_cases()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller adds up the workers' counts (the hook exists only with pytest-xdist)."""
    counts = node.config.stash.setdefault(MATRIX_CASES, [])
    counts.append(getattr(node, "workeroutput", {}).get("matrix_cases", 0))


def pytest_terminal_summary(terminalreporter):
    """Report how many (URL, side, persona, method) cases the permission matrix checked, on every worker together."""
    total = _matrix_cases() + sum(terminalreporter.config.stash.get(MATRIX_CASES, []))
    if total:
        terminalreporter.write_line(f"permission matrix: {total} cases checked")


@pytest.fixture(autouse=True)
def _celery_tasks_inline(request):
    """Run Celery tasks inline in every test, even when REDIS_URL is set (CI's second pass).

    Tests marked ``celery_worker`` start a real worker and keep the configured broker.
    """
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    from partysite.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def own_cache(settings):
    """An empty cache of this test's own (a fresh local-memory one), for tests that count in the cache
    (rate limits, kept figures). Never ``cache.clear()``: on CI's Redis that flushes the database every
    xdist worker and Celery's broker share, so another test's counters and kept figures vanish mid-test."""
    location = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": location}}
    from django.core.cache import caches

    local = caches["default"]
    yield
    local.clear()  # the local-memory store of this location only (the test may have set another cache since)


@pytest.fixture(autouse=True)
def _chinese_after_each_test():
    """Every test starts in the site's language: a request made in English (``HTTP_ACCEPT_LANGUAGE="en"``)
    leaves English active on the thread after the response, and the next test on the same xdist worker
    would see English messages."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
