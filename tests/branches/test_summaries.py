"""Figures of a large subtree kept a few minutes (branches/summaries.py; issue 15, "Every page at city scale")."""

from unittest import mock

import pytest
from django.core.cache import cache

from branches.summaries import child_prefix, is_large, kept

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


def test_a_subtree_is_large_past_the_setting_not_at_it(tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 7  # the town and its six nodes below

    assert not is_large(tree.town)
    settings.LARGE_SUBTREE_BRANCHES = 6
    assert is_large(tree.town) and not is_large(tree.village_a)


def test_a_small_subtree_is_computed_at_every_call(tree):
    calls = []

    for _ in range(2):
        value = kept("test", tree.branch_a, [2026], lambda: calls.append(1) or len(calls))

    assert calls == [1, 1] and value.value == 2 and value.computed_at is None


def test_a_large_subtree_is_computed_once_per_key_and_kept(tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 1
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    first = kept("test", tree.town, [2026], compute)
    again = kept("test", tree.town, [2026], compute)
    other_period = kept("test", tree.town, [2025], compute)

    assert (first.value, again.value, other_period.value) == (1, 1, 2)
    assert first.computed_at is not None and again.computed_at == first.computed_at
    cache.clear()  # kept for SUBTREE_SUMMARY_SECONDS: once gone, computed again
    assert kept("test", tree.town, [2026], compute).value == 3


def test_a_cache_outage_computes_the_figures_instead_of_failing(tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 1
    with mock.patch("branches.summaries.cache") as broken:
        broken.get.side_effect = ConnectionError("redis down")
        broken.set.side_effect = ConnectionError("redis down")
        assert kept("test", tree.town, [], lambda: "computed").value == "computed"


def test_a_childs_path_is_one_step_longer(tree):
    assert tree.village_a.path[: child_prefix(tree.town.path)] == tree.village_a.path
    assert tree.branch_a.path[: child_prefix(tree.town.path)] == tree.village_a.path
