"""The sort key of a member's name: its pinyin, so that lists read 阿、白、曹、张 as a Chinese reader expects.

Neither database sorts Chinese by pinyin out of the box (SQLite has no Chinese collation, and a
PostgreSQL server may lack ICU's "zh-x-icu"), so the key is computed here with pypinyin and stored on
``Member.name_pinyin`` (filled by ``Member.save``, ``MemberQuerySet.bulk_create``/``bulk_update``,
the roster import's ``members.services_bulk.member_values`` and the migration that added it). Every
list of members orders by it (docs/rules/names.md).

The key is each syllable in lower case followed by its tone digit (1-4, 5 for the neutral tone):
张三 ``zhang1san1``. A digit sorts before every letter, so the digit ends the syllable: 阿 ``a1``
comes before 艾 ``ai4``, and within one spelling the tones go 1 to 4. Characters that are not
Chinese (a Latin name, the middle dot of 阿依古丽·买买提) are kept as they are, lower-cased.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

MAX_LENGTH = 255

# Surnames whose reading as a surname differs from the character's usual reading (现代汉语词典's
# entries for the surname; 百家姓). pypinyin reads the character alone, so 曾 would sort as ceng.
SURNAME_READINGS = {
    "曾": "zeng1",
    "单": "shan4",
    "解": "xie4",
    "仇": "qiu2",
    "区": "ou1",
    "查": "zha1",
    "朴": "piao2",
    "覃": "qin2",
    "乐": "yue4",
    "缪": "miao4",
    "翟": "zhai2",
    "盖": "ge3",
    "种": "chong2",
    "秘": "bi4",
    "任": "ren2",
    "薄": "bo2",
    "员": "yun4",
    "召": "shao4",
    "繁": "po2",
    "都": "du1",
    "句": "gou1",
    "隗": "wei3",
    "阚": "kan4",
    "过": "guo1",
    "能": "nai4",
    "洗": "xian3",
    "佴": "nai4",
    "卜": "bu3",
    "折": "she2",
    "祭": "zhai4",
    "那": "na1",
    "葛": "ge3",
    "纪": "ji3",
    "燕": "yan1",
}
# Two-character surnames read as pypinyin reads them (单于 is chan2 yu2, not shan4 yu2).
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 长孙 慕容 司徒 令狐 宇文 夏侯 单于 万俟 澹台 公冶 端木 独孤".split()
)


def _syllables(text: str) -> list[str]:
    return lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)


def name_sort_key(name: str) -> str:
    """The stored pinyin sort key of ``name`` (at most ``MAX_LENGTH`` characters)."""
    name = (name or "").strip()
    if not name:
        return ""
    if name[:2] in COMPOUND_SURNAMES:
        surname, given = _syllables(name[:2]), name[2:]
    elif name[0] in SURNAME_READINGS:
        surname, given = [SURNAME_READINGS[name[0]]], name[1:]
    else:
        surname, given = _syllables(name[0]), name[1:]
    # The given name apart, so that a phrase across the surname's boundary (乐园) does not change a reading.
    syllables = surname + (_syllables(given) if given else [])
    return "".join(syllables).lower()[:MAX_LENGTH]
