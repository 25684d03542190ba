"""Commendation and sanction pages, and their section on the member's page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Commendation, LapseNote, Sanction
from members.records import commendation_record, lapse_note_record, sanction_record

DAY = "2026-05-04"


def assert_refused(response, expected):
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == expected


COMMENDATION = {"level": "town", "title": "优秀共产党员", "awarded_on": DAY, "document_number": "城委〔2026〕12号"}
SANCTION = {"kind": "warning", "imposed_on": DAY, "document_number": "城纪〔2026〕3号", "reason": "违反廉洁纪律"}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("reviewer", 403),
        ("secretary_a", 302),
        ("orgdept", 302),
    ],
)
def test_recording_a_commendation_needs_manage(login_as, member_a, persona, expected):
    response = login_as(persona).post(reverse("members:commendation_create", args=[member_a.pk]), COMMENDATION)
    assert_refused(response, expected)
    found = list(Commendation.objects.filter(member=member_a).values_list("level", "title", "document_number"))
    assert found == ([("town", "优秀共产党员", "城委〔2026〕12号")] if expected == 302 else [])
    if expected == 302:
        assert response["Location"] == reverse("members:detail", args=[member_a.pk])


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("secretary_a", 302),
        ("reviewer", 302),
    ],
)
def test_recording_a_sanction_needs_manage_or_review(login_as, member_a, persona, expected):
    response = login_as(persona).post(reverse("members:sanction_create", args=[member_a.pk]), SANCTION)
    assert_refused(response, expected)
    found = list(
        Sanction.objects.filter(member=member_a).values_list("kind", "document_number", "recorded_by__username")
    )
    assert found == ([("warning", "城纪〔2026〕3号", persona)] if expected == 302 else [])


@pytest.mark.parametrize(
    "url, persona, expected",
    [
        ("members:commendation_create", "viewer", 403),
        ("members:commendation_create", "secretary_a", 200),
        ("members:sanction_create", "secretary_b", 404),
        ("members:sanction_create", "reviewer", 200),
    ],
)
def test_record_forms_are_shown_only_to_those_who_may_record(login_as, member_a, url, persona, expected):
    assert_refused(login_as(persona).get(reverse(url, args=[member_a.pk])), expected)


def test_a_disciplinary_sanction_without_document_number_is_refused_keeping_the_input(login_as, member_a):
    data = {**SANCTION, "document_number": "", "reason": "违反廉洁纪律"}
    response = login_as("orgdept").post(reverse("members:sanction_create", args=[member_a.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200 and "党纪处分须填写处分决定文号" in body
    assert "违反廉洁纪律" in body and 'value="warning" selected' in body and DAY in body
    assert not Sanction.objects.exists()


def test_a_future_commendation_is_refused_under_its_date(login_as, member_a):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    data = {**COMMENDATION, "awarded_on": tomorrow}
    response = login_as("secretary_a").post(reverse("members:commendation_create", args=[member_a.pk]), data)
    form = response.context["form"]
    assert form.errors == {"awarded_on": ["日期不能晚于今天"]}
    assert 'value="优秀共产党员"' in response.content.decode() and not Commendation.objects.exists()


def test_a_commendation_without_level_or_title_names_the_missing_field(login_as, member_a):
    data = {**COMMENDATION, "level": ""}
    response = login_as("secretary_a").post(reverse("members:commendation_create", args=[member_a.pk]), data)
    assert response.context["form"].errors == {"level": ["请选择表彰级别"]}


def test_the_member_page_lists_records_with_links_for_those_who_may_record(login_as, member_a, secretary_a):
    commendation_record(member=member_a, level="county", title="优秀党务工作者", awarded_on=datetime.date(2026, 3, 1))
    sanction_record(member=member_a, kind="criticism", imposed_on=datetime.date(2026, 4, 1), reason="迟到")
    detail = reverse("members:detail", args=[member_a.pk])
    body = login_as("secretary_a").get(detail).content.decode()
    assert "优秀党务工作者" in body and "县级及以上" in body and "批评教育" in body and "迟到" in body
    assert reverse("members:commendation_create", args=[member_a.pk]) in body
    assert reverse("members:sanction_create", args=[member_a.pk]) in body
    body = login_as("reviewer").get(detail).content.decode()
    assert reverse("members:commendation_create", args=[member_a.pk]) not in body
    assert reverse("members:sanction_create", args=[member_a.pk]) in body
    body = login_as("viewer").get(detail).content.decode()
    assert "优秀党务工作者" in body and reverse("members:sanction_create", args=[member_a.pk]) not in body


def _detail_queries(client, member, n: int) -> int:
    for i in range(n):
        commendation_record(member=member, level="branch", title=f"表彰{i}", awarded_on=datetime.date(2026, 1, 1))
        sanction_record(member=member, kind="criticism", imposed_on=datetime.date(2026, 1, 1))
        lapse_note_record(member=member, kind="followup", text=f"谈话{i}")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("members:detail", args=[member.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_member_page_queries_do_not_grow_with_the_records(login_as, member_a):
    client = login_as("secretary_a")
    few = _detail_queries(client, member_a, 1)
    many = _detail_queries(client, member_a, 20)
    assert few == many


# --- notes on the art. 9 warning ------------------------------------------------------------

LAPSE_NOTE = {"kind": "reason", "text": "在外地务工，已书面报告", "months_from": "2026-01", "months_to": "2026-06"}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", "login"),
        ("secretary_b", 404),
        ("other_orgdept", 404),
        ("viewer", 403),
        ("reviewer", 403),
        ("secretary_a", 302),
        ("orgdept", 302),
    ],
)
def test_recording_a_lapse_note_needs_manage(login_as, member_a, persona, expected):
    response = login_as(persona).post(reverse("members:lapse_note_create", args=[member_a.pk]), LAPSE_NOTE)
    assert_refused(response, expected)
    found = list(LapseNote.objects.filter(member=member_a).values_list("kind", "months_from", "months_to"))
    months = (datetime.date(2026, 1, 1), datetime.date(2026, 6, 1))
    assert found == ([("reason", *months)] if expected == 302 else [])


def test_a_reason_without_months_is_refused_under_the_first_month_keeping_the_text(login_as, member_a):
    data = {**LAPSE_NOTE, "months_from": "", "months_to": ""}
    response = login_as("secretary_a").post(reverse("members:lapse_note_create", args=[member_a.pk]), data)
    assert response.context["form"].errors == {"months_from": ["正当理由须填写起始月份"]}
    assert "在外地务工，已书面报告" in response.content.decode() and not LapseNote.objects.exists()


def test_the_member_page_lists_lapse_notes_and_offers_the_form_to_the_manager(login_as, member_a):
    lapse_note_record(member=member_a, kind="followup", text="书记上门谈话，表示将按时交纳党费")
    detail = reverse("members:detail", args=[member_a.pk])
    body = login_as("secretary_a").get(detail).content.decode()
    assert "书记上门谈话" in body and "跟进处理" in body
    assert reverse("members:lapse_note_create", args=[member_a.pk]) in body
    body = login_as("reviewer").get(detail).content.decode()
    assert "书记上门谈话" in body and reverse("members:lapse_note_create", args=[member_a.pk]) not in body


def test_a_sanction_is_recorded_with_its_end(login_as, member_a):
    data = {**SANCTION, "kind": "rights_suspended", "document_number": "", "ends_on": "2026-11-04"}
    login_as("orgdept").post(reverse("members:sanction_create", args=[member_a.pk]), data)
    assert Sanction.objects.get(member=member_a).ends_on == datetime.date(2026, 11, 4)
