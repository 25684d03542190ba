"""The branch page's panel of dues and health-check links."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "persona, code, shown, import_link",
    [
        ("secretary_a", "BA", True, True),
        ("reviewer", "BA", True, False),
        ("orgdept", "TOWN", True, True),
        ("viewer", "TOWN", False, False),
    ],
)
def test_branch_page_links_to_dues_checks_and_rubric_for_managers_and_reviewers(
    login_as, tree, persona, code, shown, import_link
):
    body = login_as(persona).get(reverse("branches:detail", args=[code])).content.decode()
    for url in (
        reverse("members:dues_branch", args=[code]),
        reverse("members:dues_arrears", args=[code]),
        reverse("health:branch", args=[code]),
        reverse("health:rubric", args=[code]),
    ):
        assert (url in body) is shown
    assert (reverse("members:dues_import") in body) is import_link


def test_health_pages_link_to_the_rubric_and_the_dues(login_as, tree):
    body = login_as("secretary_a").get(reverse("health:branch", args=["BA"]) + "?period=2026").content.decode()
    assert reverse("health:rubric", args=["BA"]) + "?year=2026" in body
    assert reverse("members:dues_branch", args=["BA"]) in body
    body = login_as("orgdept").get(reverse("health:index")).content.decode()
    assert reverse("health:rubric", args=["TOWN"]) in body and reverse("members:dues_arrears", args=["TOWN"]) in body
