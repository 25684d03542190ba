"""Chinese first, with an English switch: the catalog, the switch, dates people read, forms that
keep what was typed, empty lists that say what to do next, and a nav without dead links."""

from __future__ import annotations

import datetime
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import UserFactory, new_id_number

LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def _english(client: Client) -> Client:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def _po_entries() -> list[tuple[str, str]]:
    """(msgid, first msgstr) of every entry of the English .po, plural entries by their singular."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, flags=re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, flags=re.M)
        if not msgid or not msgstr:
            continue

        def join(chunk: str) -> str:
            return "".join(re.findall(r'"(.*)"', chunk)).replace('\\"', '"').replace("\\n", "\n")

        if join(msgid.group(1)):
            entries.append((join(msgid.group(1)), join(msgstr.group(1))))
    return entries


# --- the catalog ----------------------------------------------------------------------------


def test_every_english_msgid_is_translated_and_none_is_fuzzy():
    entries = _po_entries()
    assert len(entries) > 500
    assert [msgid for msgid, msgstr in entries if not msgstr] == []
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text(encoding="utf-8")


def test_translations_are_english_and_keep_their_placeholders():
    for msgid, msgstr in _po_entries():
        assert not re.search(r"[\u4e00-\u9fff]", msgstr) or "年" in msgid, msgid
        assert sorted(re.findall(r"%\(\w+\)[sd]|\{\w+\}", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sd]|\{\w+\}", msgstr)
        ), msgid


def test_the_committed_mo_holds_every_translation_of_the_po():
    with open(LOCALE / "django.mo", "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr in _po_entries() if catalog.gettext(msgid) != msgstr]
    assert stale == []


# --- the switch -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default_and_english_after_the_switch(client):
    chinese = client.get(reverse("login")).text
    assert "登录" in chinese and "密码" in chinese and 'lang="zh-hans"' in chinese
    english = _english(client).get(reverse("login")).text
    assert "Log in" in english and "Password" in english and 'lang="en"' in english
    assert "密码" not in english


@pytest.mark.django_db
def test_accept_language_header_alone_picks_english(client):
    response = client.get(reverse("login"), headers={"accept-language": "en"})
    assert "Password" in response.text


@pytest.mark.django_db
def test_nav_and_roster_page_switch_to_english(login_as, member_a):
    c = login_as("orgdept")
    chinese = c.get(reverse("members:list")).text
    assert "花名册" in chinese and "入党日期" in chinese and "退出" in chinese
    english = _english(c).get(reverse("members:list")).text
    for label in ("Roster", "Organizations", "Activities", "Health checks", "Reports", "Log out", "Joined on", "Name"):
        assert label in english, label
    for label in ("花名册", "入党日期", "退出", "政治体检"):
        assert label not in english, label
    assert member_a.name in english  # people's names are data, not translated


@pytest.mark.django_db
def test_member_check_in_page_switches_to_english(login_as, tree, member_a, secretary_a):
    from activities import services, tokens
    from activities.models import Activity

    start = timezone.now() - datetime.timedelta(minutes=5)
    activity = services.activity_create(
        branch=tree.branch_a,
        kind=Activity.Kind.BRANCH_ASSEMBLY,
        title="十一月支部党员大会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        by=secretary_a,
    )
    c = _english(login_as("member_a"))
    url = reverse("activities:checkin", args=[tokens.current_token(activity)])
    assert "Check in" in c.get(url).text
    nonce = "n-1"
    assert "Checked in" in c.post(url, {"nonce": nonce}).text


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dates_people_read_are_written_the_chinese_way_and_the_english_way(login_as, member_a):
    member_a.joined_on = datetime.date(2026, 11, 21)
    member_a.save(update_fields=["joined_on"])
    c = login_as("orgdept")
    chinese = c.get(reverse("members:detail", args=[member_a.pk])).text
    assert "<dd>2026年11月21日</dd>" in chinese
    english = _english(c).get(reverse("members:detail", args=[member_a.pk])).text
    assert "<dd>Nov. 21, 2026</dd>" in english


def test_short_date_time_format_is_translated():
    when = datetime.datetime(2026, 11, 21, 14, 30)
    template = Template('{% load i18n %}{{ when|date:_("n月j日 H:i") }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"when": when})) == "11月21日 14:30"
    with translation.override("en"):
        assert template.render(Context({"when": when})) == "Nov 21, 14:30"


def test_no_template_prints_iso_dates_to_people():
    """|date:"Y-m-d" is only for input values; what people read uses the locale's formats."""
    offenders = []
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for match in re.finditer(r'\|date:"(Y-m-d[^"]*|m-d[^"]*|Y-m)"', line):
                if "value=" not in line[: match.start()].rsplit("<", 1)[-1]:
                    offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


# --- forms keep what was typed --------------------------------------------------------------


@pytest.mark.django_db
def test_refused_login_keeps_the_user_name(client):
    UserFactory(username="13800000000")
    response = client.post(reverse("login"), {"username": "13800000000", "password": "wrong"})
    assert response.status_code == 200 and 'value="13800000000"' in response.text


@pytest.mark.django_db
def test_refused_member_form_keeps_what_was_typed(login_as, tree):
    c = login_as("secretary_a")
    response = c.post(
        reverse("members:create"),
        {
            "branch": tree.branch_a.code,
            "name": "赵新民",
            "id_number": "12345",
            "phone": "13912345678",
            "ethnicity": "回族",
        },
    )
    assert response.status_code == 200
    for typed in ("赵新民", "12345", "13912345678", "回族"):
        assert f'value="{typed}"' in response.text, typed


@pytest.mark.django_db
def test_refused_activity_form_keeps_what_was_typed(login_as, tree):
    c = login_as("secretary_a")
    response = c.post(
        reverse("activities:create"),
        {
            "branch": tree.branch_a.code,
            "kind": "branch_assembly",
            "title": "学习二十届四中全会精神",
            "place": "村委会会议室",
        },
    )
    assert response.status_code == 200
    assert 'value="学习二十届四中全会精神"' in response.text and 'value="村委会会议室"' in response.text


# --- empty lists say what to do next --------------------------------------------------------


@pytest.mark.django_db
def test_empty_roster_offers_to_clear_filters_add_or_import(login_as, tree):
    html = login_as("secretary_a").get(reverse("members:list"), {"q": "没有这个人"}).text
    assert "没有符合条件的党员" in html
    assert reverse("members:create") in html and reverse("members:import") in html and "清除筛选条件" in html


@pytest.mark.django_db
def test_empty_activity_list_offers_to_plan_one(login_as, tree):
    html = login_as("secretary_a").get(reverse("activities:list")).text
    assert "没有符合条件的活动" in html and f'href="{reverse("activities:create")}' in html


@pytest.mark.django_db
def test_member_without_published_checks_is_told_when_they_appear(login_as, member_a):
    html = login_as("member_a").get(reverse("health:me")).text
    assert "暂无已公示的体检结果" in html and "公示后显示在这里" in html


# --- the nav --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nav_role_asks_access_once_per_request(django_assert_num_queries, member_a, secretary_a):
    from branches.templatetags.nav import nav_role

    user = type(member_a.user).objects.get(pk=member_a.user.pk)
    with django_assert_num_queries(1):  # the grants, read through branches.access
        assert nav_role(user) == "member"
    with django_assert_num_queries(0):  # cached on the request's user
        assert nav_role(user) == "member"
    assert nav_role(secretary_a) == "staff"


@pytest.mark.django_db
def test_plain_member_is_not_shown_staff_links(login_as, member_a):
    c = login_as("member_a")
    for name in ("members:me", "health:index", "activities:mine"):
        html = c.get(reverse(name)).text
        nav = html.split('<nav class="mainnav">', 1)[1].split("</nav>", 1)[0]
        assert reverse("members:me") in nav and reverse("activities:mine") in nav, name
        for staff_only in ("members:list", "members:import", "branches:tree", "reports:home"):
            assert f'href="{reverse(staff_only)}"' not in nav, (name, staff_only)


@pytest.mark.django_db
def test_staff_nav_keeps_every_link(login_as):
    html = login_as("orgdept").get(reverse("members:list")).text
    nav = html.split('<nav class="mainnav">', 1)[1].split("</nav>", 1)[0]
    for name in ("branches:tree", "members:list", "members:import", "activities:index", "reports:home"):
        assert reverse(name) in nav, name


# --- error pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_found_and_forbidden_pages_speak_chinese_then_english(login_as, member_a):
    c = login_as("member_a")
    missing = c.get("/members/999999/")
    assert missing.status_code == 404 and "页面不存在" in missing.text and reverse("home") in missing.text
    forbidden = c.get(reverse("members:import"))
    assert forbidden.status_code == 403 and "没有权限" in forbidden.text
    _english(c)
    assert "Page not found" in c.get("/members/999999/").text
    assert "Not allowed" in c.get(reverse("members:import")).text


def test_server_error_page_renders_without_a_request():
    from django.template import loader

    with translation.override("zh-hans"):
        assert "系统出错了" in loader.get_template("500.html").render()


# --- choice labels and verbose names ----------------------------------------------------------


@pytest.mark.django_db
def test_roster_rows_show_choice_labels_in_the_readers_language(login_as, member_a):
    c = login_as("orgdept")
    chinese = c.get(reverse("members:list")).text
    for label in ('">男</td>', '">在职</td>', '">正式党员</td>'):  # cells labelled for a phone's cards
        assert label in chinese, label
    english = _english(c).get(reverse("members:list")).text
    for label in ('">Male</td>', '">Employed</td>', '">Full member</td>'):
        assert label in english, label
    assert "正式党员" not in english and "在职" not in english
    # and back: the rows are not stuck in the first language a process rendered
    c.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '">正式党员</td>' in c.get(reverse("members:list")).text


def test_model_labels_and_verbose_names_follow_the_active_language():
    from activities.models import Activity
    from branches.models import Branch
    from members.models import Member

    with translation.override("en"):
        assert str(Member.Status.PROBATIONARY.label) == "Probationary member"
        assert str(Activity.Kind.BRANCH_ASSEMBLY.label) == "Branch general meeting"
        assert str(Branch.Kind.COMMITTEE.label) == "Party committee"
        assert str(Member._meta.get_field("status").verbose_name) == "Membership status"
    with translation.override("zh-hans"):
        assert str(Member.Status.PROBATIONARY.label) == "预备党员"
        assert str(Member._meta.verbose_name) == "党员"


@pytest.mark.django_db
def test_import_reads_chinese_labels_while_english_is_active(tree, orgdept):
    from members.models import Member
    from members.roster_io.importing import import_members
    from tests.members.import_helpers import person, workbook_bytes

    rows = [
        person(姓名="欧阳芳", 性别="女", 学历="大学专科", 职业类别="离退休"),
        person(姓名="司马强", 党员状态="预备党员", 转正日期=""),
    ]
    rows[0]["公民身份号码"] = new_id_number(datetime.date(1980, 5, 17), "F")
    with translation.override("en"):
        result = import_members(workbook_bytes(rows), user=orgdept)
        assert result.ok, result.errors
        refused = import_members(workbook_bytes([person(党员状态="Full member")]), user=orgdept)
    zhang = Member.objects.get(name="欧阳芳")
    assert (zhang.sex, zhang.education, zhang.occupation) == ("F", "junior_college", "retired")
    assert Member.objects.get(name="司马强").status == Member.Status.PROBATIONARY
    # an English label is not a label of the file format; the message lists the Chinese ones
    assert not refused.ok
    assert "正式党员、预备党员" in str(refused.errors)
