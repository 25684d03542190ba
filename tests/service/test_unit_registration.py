"""A unit's Party organization reporting to the community (双报到), chosen with the picker, not a typed code alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from service.models import UnitRegistration

pytestmark = pytest.mark.django_db

URL = reverse("service:registrations", args=["BA"])
CONTACT = {"contact_name": "周", "contact_phone": "13900139000"}


@pytest.mark.parametrize("unit", ["BC", "南村党支部"])  # its code, or its exact name (another town's: any on the site)
def test_the_secretary_registers_a_unit_chosen_by_code_or_name(login_as, tree, secretary_a, unit):
    response = login_as("secretary_a").post(URL, {"unit": unit, **CONTACT})
    assert response.status_code == 302
    registration = UnitRegistration.objects.get()
    assert (registration.unit, registration.community, registration.by) == (tree.branch_c, tree.branch_a, secretary_a)


@pytest.mark.parametrize("unit", ["NOPE", "GA", "x" * 300])  # unknown; a 党小组 does not report; too long
def test_an_unknown_or_wrong_kind_of_unit_is_a_form_error_and_nothing_is_written(login_as, tree, unit):
    response = login_as("secretary_a").post(URL, {"unit": unit, **CONTACT})
    assert response.status_code == 200
    assert "没有这个名称或组织编码的单位党组织" in response.content.decode()
    assert not UnitRegistration.objects.exists()


def test_a_missing_contact_is_told_where(login_as, tree):
    response = login_as("secretary_a").post(URL, {"unit": "BC", "contact_name": "周"})
    assert response.status_code == 200
    assert 'class="errors"' in response.content.decode()
    assert not UnitRegistration.objects.exists()


def test_the_form_offers_the_picker(login_as, tree):
    body = login_as("secretary_a").get(URL).content.decode()
    assert reverse("service:communities") in body  # the picker's search of organizations that may report


@pytest.mark.parametrize("persona, status", [("secretary_b", 404), ("viewer", 403)])
def test_others_may_not_register_a_unit(login_as, tree, persona, status):
    """404 outside the user's subtrees; 403 for one who may read the branch but not manage it."""
    assert login_as(persona).post(URL, {"unit": "BC", **CONTACT}).status_code == status
    assert not UnitRegistration.objects.exists()
