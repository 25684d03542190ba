"""A database that fails while an import is written: a message and nothing written, never a 500 (issue 12 item 14)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

from members.models import DuesPayment, Member
from members.roster_io.views import SESSION_KEY

from .import_helpers import person
from .test_dues_views import earners, xlsx  # noqa: F401 - fixture
from .test_import_views import upload

pytestmark = pytest.mark.django_db
DOWN = OperationalError("server closed the connection unexpectedly")
MESSAGE = "数据库暂时无法写入，未导入任何数据，请稍后重新上传文件"


def test_a_database_error_while_the_roster_is_written_shows_a_message(login_as, tree):
    client = login_as("secretary_a")
    before = Member.objects.count()
    upload(client, [person(), person()])
    token = client.session[SESSION_KEY]["token"]
    with mock.patch("members.services_bulk.write_rows", side_effect=DOWN):
        response = client.post(reverse("members:import_confirm"), {"token": token})
    assert response.status_code == 302 and response.url == reverse("members:import")
    assert MESSAGE in client.get(response.url).content.decode()
    assert Member.objects.count() == before
    assert SESSION_KEY not in client.session


def test_a_database_error_while_dues_are_written_shows_a_message(login_as, earners):  # noqa: F811
    a, other, _ = earners
    client = login_as("secretary_a")
    file = xlsx([["李明", a.id_number, "2026-01", 40, "2026-01-20"], ["赵强", other.id_number, "2026-01", 0, None]])
    token = client.post(reverse("members:dues_import"), {"file": file}).context["pending"]["token"]
    with mock.patch("members.dues.importing._write", side_effect=DOWN):
        response = client.post(reverse("members:dues_import_confirm"), {"token": token})
    assert response.status_code == 302 and response.url == reverse("members:dues_import")
    assert MESSAGE in client.get(response.url).content.decode()
    assert not DuesPayment.objects.exists()
