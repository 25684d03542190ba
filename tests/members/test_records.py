import datetime

import pytest
from django.utils import timezone

from members.models import Commendation, LapseNote, Sanction
from members.records import RecordError, commendation_record, lapse_note_record, sanction_record

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


def test_a_sanction_ends_after_it_was_imposed(member_a):
    with pytest.raises(RecordError) as exc:
        sanction_record(
            member=member_a, kind=Sanction.Kind.RIGHTS_SUSPENDED, imposed_on=DAY, ends_on=DAY, reason="停止党员权利"
        )
    assert (exc.value.code, exc.value.field) == ("ends_before_imposed", "ends_on")
    later = DAY + datetime.timedelta(days=180)
    s = sanction_record(member=member_a, kind=Sanction.Kind.RIGHTS_SUSPENDED, imposed_on=DAY, ends_on=later)
    assert s.ends_on == later and not s.is_disciplinary


# --- notes on the art. 9 warning ------------------------------------------------------------


def test_a_reason_covers_whole_months_and_keeps_who_recorded_it(member_a, secretary_a):
    note = lapse_note_record(
        member=member_a,
        kind=LapseNote.Kind.REASON,
        text=" 外出务工，已书面报告 ",
        months_from=datetime.date(2026, 1, 20),
        months_to=datetime.date(2026, 6, 3),
        by=secretary_a,
    )
    assert (note.text, note.months_from, note.months_to, note.recorded_by) == (
        "外出务工，已书面报告",
        datetime.date(2026, 1, 1),
        datetime.date(2026, 6, 1),
        secretary_a,
    )


def test_a_follow_up_needs_no_months(member_a):
    note = lapse_note_record(member=member_a, kind=LapseNote.Kind.FOLLOWUP, text="支部书记上门谈话")
    assert note.months_from is None and note.months_to is None


@pytest.mark.parametrize(
    "kind, text, months_from, months_to, code, field",
    [
        ("", "x", None, None, "invalid_kind", "kind"),
        ("reason", "  ", datetime.date(2026, 1, 1), None, "text_required", "text"),
        ("reason", "生病住院", None, None, "months_required", "months_from"),
        ("reason", "生病住院", datetime.date(2026, 3, 1), datetime.date(2026, 2, 1), "months_reversed", "months_to"),
        ("followup", "谈话", None, datetime.date(2026, 2, 1), "months_reversed", "months_to"),
    ],
)
def test_lapse_note_refusals(member_a, kind, text, months_from, months_to, code, field):
    with pytest.raises(RecordError) as exc:
        lapse_note_record(member=member_a, kind=kind, text=text, months_from=months_from, months_to=months_to)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert not LapseNote.objects.exists()
