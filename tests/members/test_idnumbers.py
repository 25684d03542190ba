import datetime

import pytest

from core.masking import mask_phone
from members import crypto
from members.idnumbers import (
    IdNumberError,
    make_id_number,
    mask_id_number,
    normalize_phone,
    parse_id_number,
)


def test_valid_number_gives_birth_date_and_sex():
    number = make_id_number("350181", datetime.date(1990, 1, 1), 12, "F")
    assert parse_id_number(number) == (number, datetime.date(1990, 1, 1), "F")


def test_known_number_with_x_check_digit_accepted_in_lower_case_and_full_width():
    # 11010519491231002X is the standard's own example.
    assert parse_id_number("11010519491231002x")[0] == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ")[0] == "11010519491231002X"


@pytest.mark.parametrize(
    "value, code",
    [
        ("110105491231002", "id_15_digits"),
        ("11010519491231002", "id_length"),
        ("11010519491231002Y", "id_characters"),
        ("110105194902310021", "id_birth_date"),
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_bad_numbers_refused_with_code(value, code):
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(value)
    assert exc.value.code == code


def test_masks():
    assert mask_id_number("35018119900101123X") == "**************123X"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("raw", ["138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "８６13812345678"])
def test_phone_normalized(raw):
    assert normalize_phone(raw) == "13812345678"


def test_encryption_round_trip_and_digest_stable():
    token = crypto.encrypt("35018119900101123X")
    assert "35018119900101123X" not in token
    assert crypto.decrypt(token) == "35018119900101123X"
    assert crypto.digest("35018119900101123X") == crypto.digest("35018119900101123X")
    assert crypto.digest("35018119900101123X") != crypto.digest("350181199001011241")
