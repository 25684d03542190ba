"""The organization department's first page over a large subtree (issue 15, "Every page at city scale"):
its figures kept a few minutes (branches.summaries), in no language: each reader gets their own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache(own_cache):
    pass


def test_a_large_subtrees_figures_are_kept_and_shown_in_the_readers_language(login_as, tree, settings):
    settings.LARGE_SUBTREE_BRANCHES = 3  # the town has 7 nodes
    MemberFactory(branch=tree.branch_a)  # last month's meetings of branch A were not held
    client = login_as("orgdept")

    with CaptureQueriesContext(connection) as computed:
        first = client.get(reverse("home"))
    with CaptureQueriesContext(connection) as kept:
        again = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    home_first, home_again = first.context["home"], again.context["home"]
    assert home_first.missing.count == home_again.missing.count >= 1
    assert home_first.missing_lines == home_again.missing_lines > 0
    assert "主题党日" in home_first.missing.rows[0].kinds
    assert "主题党日" not in home_again.missing.rows[0].kinds  # kept as codes, named in English now
    assert len(computed) - len(kept) >= 8  # the compliance report's five, the progress, the warnings' two
