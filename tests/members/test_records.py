import datetime

import pytest
from django.utils import timezone

from members.models import Commendation, Sanction
from members.records import RecordError, commendation_record, sanction_record

DAY = datetime.date(2026, 5, 4)


def test_commendation_is_recorded_with_who_recorded_it(member_a, secretary_a):
    c = commendation_record(
        member=member_a,
        level=Commendation.Level.TOWN,
        title=" 优秀共产党员 ",
        awarded_on=DAY,
        document_number="城委〔2026〕12号",
        by=secretary_a,
    )
    c.refresh_from_db()
    assert (c.level, c.title, c.document_number, c.recorded_by) == (
        "town",
        "优秀共产党员",
        "城委〔2026〕12号",
        secretary_a,
    )


@pytest.mark.parametrize(
    "level, title, day, code",
    [
        ("province", "优秀", DAY, "invalid_level"),
        ("town", "  ", DAY, "title_required"),
        ("town", "优秀", "tomorrow", "future_date"),
    ],
)
def test_commendation_refusals(member_a, level, title, day, code):
    if day == "tomorrow":
        day = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(RecordError) as exc:
        commendation_record(member=member_a, level=level, title=title, awarded_on=day)
    assert exc.value.code == code
    assert not Commendation.objects.exists()


@pytest.mark.parametrize(
    "kind, disciplinary",
    [
        ("criticism", False),
        ("admonition", False),
        ("warning", True),
        ("serious_warning", True),
        ("removal", True),
        ("probation", True),
    ],
)
def test_sanction_kinds_know_whether_they_are_party_discipline(member_a, kind, disciplinary):
    s = sanction_record(member=member_a, kind=kind, imposed_on=DAY, document_number="纪〔2026〕3号")
    assert s.is_disciplinary is disciplinary


def test_party_discipline_needs_a_document_number(member_a):
    with pytest.raises(RecordError) as exc:
        sanction_record(member=member_a, kind=Sanction.Kind.WARNING, imposed_on=DAY)
    assert exc.value.code == "document_number_required"


def test_criticism_without_document_number_is_recorded(member_a, secretary_a):
    s = sanction_record(member=member_a, kind=Sanction.Kind.CRITICISM, imposed_on=DAY, reason="缺席", by=secretary_a)
    assert (s.reason, s.recorded_by, s.document_number) == ("缺席", secretary_a, "")


@pytest.mark.parametrize("kind, day, code", [("fine", DAY, "invalid_kind"), ("criticism", "tomorrow", "future_date")])
def test_sanction_refusals(member_a, kind, day, code):
    if day == "tomorrow":
        day = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(RecordError) as exc:
        sanction_record(member=member_a, kind=kind, imposed_on=day)
    assert exc.value.code == code
