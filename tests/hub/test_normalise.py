from datetime import date

import pytest
from stdnum import luhn
from stdnum.cn import ric

from hub.normalise import (
    NORMALISERS,
    Invalid,
    Result,
    Valid,
    bank_card,
    normalise,
    person_name,
    phone,
    plate,
    resident_id,
)

SHANGSHUI = "411623"


def rid(first17: str) -> str:
    """first17 completed with the check digit stdnum computes."""
    return first17 + ric.calc_check_digit(first17 + "0")


def fullwidth(text: str) -> str:
    """text with its printable ASCII turned into the full-width forms."""
    return text.translate({cp: cp + 0xFEE0 for cp in range(0x21, 0x7F)})


def valid(result: Result) -> Valid:
    assert isinstance(result, Valid), result
    return result


def invalid(result: Result) -> Invalid:
    assert isinstance(result, Invalid), result
    return result


# -- resident_id ---------------------------------------------------------------

SHANGSHUI_MAN = rid(SHANGSHUI + "20010101" + "001")
# A serial whose check digit is X, to exercise the lower-case x.
WITH_X = next(
    number
    for number in (rid(f"{SHANGSHUI}20010101{serial:03d}") for serial in range(1000))
    if number.endswith("X")
)


def test_resident_id_shangshui_facts() -> None:
    result = valid(resident_id(SHANGSHUI_MAN))
    assert result.value == SHANGSHUI_MAN
    assert ric.is_valid(result.value)
    assert result.facts == {
        "birth_date": date(2001, 1, 1),
        "sex": "M",
        "region_code": SHANGSHUI,
        "region": "河南省商水县",
    }


def test_resident_id_even_sequence_is_female() -> None:
    assert valid(resident_id(rid(SHANGSHUI + "19850615" + "024"))).facts["sex"] == "F"


@pytest.mark.parametrize(
    "raw",
    [
        WITH_X.lower(),
        f"  {WITH_X.lower()}\t",
        fullwidth(WITH_X),
    ],
)
def test_resident_id_accepts_lower_x_whitespace_and_fullwidth(raw: str) -> None:
    assert valid(resident_id(raw)).value == WITH_X


def test_resident_id_code_outside_its_table_years_is_valid() -> None:
    # stdnum's table starts 411623 in 2000; people born earlier carry it all the same.
    result = valid(resident_id(rid(SHANGSHUI + "19900101" + "001")))
    assert result.facts["region"] == "河南省商水县"


def test_resident_id_wrong_check_digit_names_expected_digit() -> None:
    expected = SHANGSHUI_MAN[-1]
    wrong = "0" if expected != "0" else "1"
    result = invalid(resident_id(SHANGSHUI_MAN[:-1] + wrong))
    assert result.reason == f"check digit is {wrong}, expected {expected}"


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        (rid(SHANGSHUI + "19990230" + "001"), "birth date 19990230 is not a real date"),
        (rid(SHANGSHUI + "20011301" + "001"), "birth date 20011301 is not a real date"),
        (rid(SHANGSHUI + "29990101" + "001"), "is in the future"),
        (rid("990000" + "20010101" + "001"), "unknown region code 990000"),
        (rid("419999" + "20010101" + "001"), "unknown region code 419999"),
        ("411623010101001", "15-digit"),
        (SHANGSHUI_MAN[:-1], "has 17 characters, expected 18"),
        (SHANGSHUI_MAN + "1", "has 19 characters, expected 18"),
        (SHANGSHUI_MAN[:-2] + "A" + SHANGSHUI_MAN[-1], "17 digits followed by a digit or X"),
        (SHANGSHUI_MAN[:-1] + "Y", "17 digits followed by a digit or X"),
        ("   ", "empty"),
    ],
)
def test_resident_id_invalid(raw: str, reason_part: str) -> None:
    result = invalid(resident_id(raw))
    assert result.raw == raw
    assert reason_part in result.reason


# -- phone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-0013-8000",
        "86 13800138000",
        "008613800138000",
        "0086 138 0013 8000",
        "138 0013 8000",
        "13800138000",
        fullwidth("13800138000"),
    ],
)
def test_phone_mobile_formats_share_one_e164(raw: str) -> None:
    result = valid(phone(raw))
    assert result.value == "+8613800138000"
    assert result.facts == {"kind": "mobile", "region": "CN"}


@pytest.mark.parametrize("raw", ["0394-8123456", "(0394) 8123456", "+86 394 8123456"])
def test_phone_zhoukou_landline(raw: str) -> None:
    result = valid(phone(raw))
    assert result.value == "+863948123456"
    assert result.facts["kind"] == "fixed_line"


def test_phone_other_region() -> None:
    assert valid(phone("+1 650 253 0000")).facts["region"] == "US"
    assert valid(phone("(650) 253-0000", region="US")).value == "+16502530000"


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("12345", "not a valid number"),
        ("+86 138 0013 800", "+861380013800"),
        ("not a number", "letters"),
        ("13800DEFGHI", "letters"),
        ("+999 123 4567", "country code"),
        ("", "empty"),
    ],
)
def test_phone_invalid(raw: str, reason_part: str) -> None:
    assert reason_part in invalid(phone(raw)).reason


# -- bank_card -----------------------------------------------------------------

CARD = "622202123456789" + luhn.calc_check_digit("622202123456789")  # 16 digits


def test_bank_card_luhn_passes() -> None:
    assert valid(bank_card(CARD)) == Valid(CARD, {"luhn": True})


@pytest.mark.parametrize(
    "raw",
    [" ".join(CARD[i : i + 4] for i in range(0, 16, 4)), "-".join([CARD[:8], CARD[8:]])],
)
def test_bank_card_separators_dropped(raw: str) -> None:
    assert valid(bank_card(raw)).value == CARD


def test_bank_card_one_digit_changed_fails_luhn() -> None:
    changed = CARD[:5] + str((int(CARD[5]) + 1) % 10) + CARD[6:]
    assert invalid(bank_card(changed)).reason == "Luhn check fails"


@pytest.mark.parametrize("raw", ["123456789012", "123456789012345"])
def test_bank_account_numbers_skip_luhn(raw: str) -> None:
    assert valid(bank_card(raw)) == Valid(raw, {"luhn": False})


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("12345678901", "has 11 digits"),
        ("1" * 20, "has 20 digits"),
        ("6222O21234567890", "characters other than digits"),
        ("6222/0212/3456/7890", "characters other than digits"),
        (" - ", "empty"),
    ],
)
def test_bank_card_invalid(raw: str, reason_part: str) -> None:
    assert reason_part in invalid(bank_card(raw)).reason


# -- plate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "kind"),
    [
        ("豫P12345", "豫P12345", "regular"),
        (" 豫p·a2b45 ", "豫PA2B45", "regular"),
        ("豫P-12345", "豫P12345", "regular"),
        ("豫" + fullwidth("P.12345"), "豫P12345", "regular"),
        ("京AD12345", "京AD12345", "new_energy"),
        ("粤B 12345F", "粤B12345F", "new_energy"),
        ("豫P1234学", "豫P1234学", "coach"),
        ("豫P0001警", "豫P0001警", "police"),
        ("豫P1234挂", "豫P1234挂", "trailer"),
    ],
)
def test_plate_valid(raw: str, value: str, kind: str) -> None:
    result = valid(plate(raw))
    assert result.value == value
    assert result.facts == {"province": value[0], "kind": kind}


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("港A12345", "unknown province character '港'"),
        ("AB12345", "unknown province character 'A'"),
        ("豫P1234", "has 6 characters"),
        ("豫P1234567", "has 9 characters"),
        ("豫112345", "second character must be a letter"),
        ("豫PI2345", "letters I and O"),
        ("豫P1O234", "letters I and O"),
        ("豫P12_45", "serial contains '_'"),
        ("豫P12345学", "4 serial characters"),
        ("", "empty"),
    ],
)
def test_plate_invalid(raw: str, reason_part: str) -> None:
    assert reason_part in invalid(plate(raw)).reason


# -- person_name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "pinyin"),
    [
        ("張偉", "张伟", "zhangwei"),
        ("  张   伟 ", "张伟", "zhangwei"),
        ("\u3000歐陽鋒\n", "欧阳锋", "ouyangfeng"),
        ("吕布", "吕布", "lvbu"),
        ("艾力·买买提", "艾力·买买提", "ailimaimaiti"),
        ("艾力 • 買買提", "艾力·买买提", "ailimaimaiti"),
        ("艾力\uff0e买买提", "艾力·买买提", "ailimaimaiti"),
        ("艾力・买买提", "艾力·买买提", "ailimaimaiti"),
    ],
)
def test_person_name_han(raw: str, value: str, pinyin: str) -> None:
    assert valid(person_name(raw)) == Valid(value, {"pinyin": pinyin, "script": "han"})


@pytest.mark.parametrize("raw", ["Wang Wei", "WANG wei", "  wang   WEI ", fullwidth("Wang Wei")])
def test_person_name_latin(raw: str) -> None:
    assert valid(person_name(raw)) == Valid("Wang Wei", {"pinyin": "wangwei", "script": "latin"})


def test_person_name_cypher_text_is_kept_literally() -> None:
    name = "王'})-[:X]->() DETACH DELETE n//"
    result = valid(person_name(f"  {name} "))
    assert result.value == name
    assert result.facts["script"] == "mixed"


def test_person_name_length_limit_is_inclusive() -> None:
    assert valid(person_name("张" * 64)).value == "张" * 64


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("", "empty"),
        (" \t ", "empty"),
        ("张伟2", "digit '2'"),
        ("张伟" + fullwidth("1"), "digit"),
        ("张\x00伟", "control character U+0000"),
        ("王\u200b伟", "control character U+200B"),
        ("张" * 65, "65 characters"),
        ("-- ()", "no letters"),
    ],
)
def test_person_name_invalid(raw: str, reason_part: str) -> None:
    result = invalid(person_name(raw))
    assert result.raw == raw
    assert reason_part in result.reason


# -- dispatch ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("resident_id", SHANGSHUI_MAN),
        ("phone", "138 0013 8000"),
        ("bank_card", CARD),
        ("plate", "豫P12345"),
        ("person_name", "張偉"),
    ],
)
def test_normalise_dispatches_by_kind(kind: str, raw: str) -> None:
    assert normalise(kind, raw) == NORMALISERS[kind](raw)
    assert isinstance(normalise(kind, raw), Valid)


def test_normalisers_are_the_six_kinds() -> None:
    kinds = {"resident_id", "phone", "bank_card", "plate", "person_name", "document"}
    assert set(NORMALISERS) == kinds
    with pytest.raises(TypeError):
        NORMALISERS["extra"] = phone  # type: ignore[index]


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [(None, "no value"), ("", "empty"), ("  ", "empty"), (13800138000, "got int")],
)
def test_normalise_rejects_missing_and_non_text(raw: object, reason_part: str) -> None:
    assert reason_part in invalid(normalise("phone", raw)).reason


def test_normalise_unknown_kind_lists_known_kinds() -> None:
    with pytest.raises(KeyError) as excinfo:
        normalise("passport", "E12345678")
    message = excinfo.value.args[0]
    assert "passport" in message
    assert all(kind in message for kind in NORMALISERS)


@pytest.mark.parametrize(
    "raw",
    [
        "E12345678",
        "e1234 5678",
        "E-1234-5678",
        "\uff25\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
        " E12345678\t",
    ],
)
def test_document_numbers_have_one_written_form(raw: str) -> None:
    assert normalise("document", raw) == Valid("E12345678")


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("", "empty"),
        ("ABC", "4 to 24"),
        ("ABCDEFG", "no digit"),
        ("护照1234", "letters and digits"),
    ],
)
def test_document_invalid(raw: str, reason_part: str) -> None:
    result = normalise("document", raw)
    assert isinstance(result, Invalid) and reason_part in result.reason
