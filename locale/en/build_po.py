"""Fill locale/en/LC_MESSAGES/django.po with the English texts in ``EN`` below.

The site's source strings are Chinese; English is the one translation. After adding or
changing translatable strings:

    .venv/bin/python manage.py makemessages -l en -i ".venv/*" -i "var/*" -i "tests/*" -i "bench/*"
    .venv/bin/python locale/en/build_po.py      # fills msgstr, drops "fuzzy", lists what is missing
    .venv/bin/python manage.py compilemessages -l en -i .venv

Both django.po and django.mo are committed (a machine without gettext can still serve English).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from translations import EN  # noqa: E402  (locale/en/translations.py, next to this file)

PO = Path(__file__).resolve().parent / "LC_MESSAGES" / "django.po"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def _parse(text: str) -> list[dict]:
    entries, cur, key = [], None, None
    for line in text.split("\n") + [""]:
        if not line.strip():
            if cur is not None:
                entries.append(cur)
            cur, key = None, None
            continue
        if cur is None:
            cur = {"comments": [], "ctx": None, "id": None, "plural": None, "strs": {}}
        if line.startswith("#"):
            cur["comments"].append(line)
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d)\])?) (".*")$', line)
        if m:
            kind, index, value = m.group(1), m.group(2), ast.literal_eval(m.group(3))
            if kind.startswith("msgstr"):
                key = ("strs", int(index or 0))
                cur["strs"][key[1]] = value
            else:
                key = {"msgctxt": "ctx", "msgid": "id", "msgid_plural": "plural"}[kind]
                cur[key] = value
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                cur["strs"][key[1]] += value
            else:
                cur[key] += value
    return entries


def _render(entry: dict) -> str:
    lines = list(entry["comments"])
    if entry["ctx"] is not None:
        lines.append("msgctxt " + _quote(entry["ctx"]))
    if entry["id"] == "":
        lines.append('msgid ""')
        lines.append('msgstr ""')
        lines.extend(_quote(h + "\n") for h in entry["strs"][0].split("\n") if h)
        return "\n".join(lines)
    lines.append("msgid " + _quote(entry["id"]))
    if entry["plural"] is not None:
        lines.append("msgid_plural " + _quote(entry["plural"]))
        for index in sorted(entry["strs"]):
            lines.append(f"msgstr[{index}] " + _quote(entry["strs"][index]))
    else:
        lines.append("msgstr " + _quote(entry["strs"][0]))
    return "\n".join(lines)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}", text))


def main() -> int:
    # Obsolete entries (``#~``, strings no longer in the source) are dropped.
    entries = [e for e in _parse(PO.read_text(encoding="utf-8")) if e["id"] is not None]
    missing, bad = [], []
    for entry in entries:
        entry["comments"] = [c for c in entry["comments"] if not c.startswith("#| ")]
        entry["comments"] = [
            c.replace("#, fuzzy, ", "#, ").replace(", fuzzy", "") for c in entry["comments"] if c != "#, fuzzy"
        ]
        if entry["id"] == "":
            header = entry["strs"][0]
            header = header.replace("Language: \n", "Language: en\n")
            header = header.replace(
                "Content-Type: text/plain; charset=CHARSET", "Content-Type: text/plain; charset=UTF-8"
            )
            entry["strs"][0] = header
            continue
        english = EN.get(entry["id"])
        if english is None:
            missing.append(entry["id"])
            continue
        if entry["plural"] is not None:
            forms = english if isinstance(english, tuple) else (english, english)
            entry["strs"] = {0: forms[0], 1: forms[1]}
            checks = forms
        else:
            entry["strs"] = {0: english}
            checks = (english,)
        for text in checks:
            if _placeholders(text) != _placeholders(entry["id"]):
                bad.append(entry["id"])
    PO.write_text("\n\n".join(_render(e) for e in entries) + "\n", encoding="utf-8")
    for msgid in missing:
        print("missing:", repr(msgid))
    for msgid in bad:
        print("placeholders differ:", repr(msgid))
    return 1 if missing or bad else 0


if __name__ == "__main__":
    sys.exit(main())
