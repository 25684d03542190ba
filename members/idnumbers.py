"""公民身份号码: normalizing, checking (GB 11643, ISO 7064 MOD 11-2), masking; and phones' normalizing
(their mask is ``core.masking.mask_phone``)."""

from __future__ import annotations

import datetime
import re
import unicodedata

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def normalize_text(value) -> str:
    """Full-width digits and letters to ASCII (NFKC), surrounding spaces dropped."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value) -> str:
    return normalize_text(value).replace(" ", "").upper()


def parse_id_number(value) -> tuple[str, datetime.date, str]:
    """Check an ID number and return (number, birth date, sex "M"/"F").

    Raises IdNumberError with a Chinese message for a 15-digit number, a wrong length or
    character, an impossible birth date or a wrong check digit.
    """
    number = normalize_id_number(value)
    if len(number) == 15 and number.isdigit():
        raise IdNumberError("是15位的旧身份证号，请换成18位公民身份号码", "id_15_digits")
    if len(number) != 18:
        raise IdNumberError(f"应为18位，实为{len(number)}位", "id_length")
    if not _ID_RE.match(number):
        raise IdNumberError("只能由17位数字和1位数字或X组成", "id_characters")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("其中的出生日期不存在", "id_birth_date") from None
    if number[17] != check_digit(number[:17]):
        raise IdNumberError("校验位错误", "id_check_digit")
    sex = "M" if int(number[16]) % 2 else "F"
    return number, birth, sex


def make_id_number(region: str, birth: datetime.date, sequence: int, sex: str) -> str:
    """Build a valid number (for demo data and tests): ``sequence`` 0..499."""
    seq = sequence * 2 + (1 if sex == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def mask_id_number(number: str) -> str:
    """350181199001011234 -> **************1234: the last four only.

    The region and the birth date stay hidden: the birth date is the number's only part that
    pages could show elsewhere, and with the region it narrows the rest to a few guesses
    (docs/SECURITY.md, "Masks").
    """
    if len(number) < 8:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(value) -> str:
    """Drop spaces, hyphens, brackets and a +86 / 0086 prefix; '' stays ''."""
    text = normalize_text(value)
    text = re.sub(r"[\s\-()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def is_valid_phone(value: str) -> bool:
    return bool(_PHONE_RE.match(value))
