"""Masking and redaction of personal numbers."""

import json
import sys
from pathlib import Path

import pytest

from hub import masking


def test_each_kind_of_number_keeps_its_useful_ends() -> None:
    assert masking.mask("411623198503120014", "resident_id") == "411623********0014"
    assert masking.mask("+8613803941001", "phone") == "+86138****1001"
    assert masking.mask("622202160000123454", "bank_card") == "622202********3454"
    assert masking.mask("abc", "resident_id") == "***"


@pytest.mark.parametrize("kind", [*masking.VISIBLE, None])
def test_no_mask_hides_fewer_than_four_digits(kind: str | None) -> None:
    """However short the number of its kind, a mask leaves at least ten thousand guesses."""
    for length in range(5, 23):
        assert masking.mask("7" * length, kind).count("*") >= masking.MIN_HIDDEN, length


def test_personal_properties_come_from_the_graph_schema() -> None:
    found = masking.personal("Person", "id_number")
    assert found is not None and found.normaliser == "resident_id"
    assert masking.personal("Person", "name") is None
    assert masking.personal("Nothing", "id_number") is None


def test_redaction_masks_personal_numbers_anywhere_in_variables() -> None:
    variables = {"idNumber": "41162319920708026X", "q": ["call 13803941001"], "n": 5}
    assert masking.redact(variables) == {
        "idNumber": "411623********026X",
        "q": ["call 138****1001"],
        "n": 5,
    }


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("+86 130 7076 5659", "+86130****5659"),
        ("+86 (130) 7076-5659", "+86130****5659"),
        ("0086 130 7076 5659", "0086130****5659"),
        ("手机13070765659\uff0c", "手机130****5659\uff0c"),
        ("0394-5421003", "039****1003"),
        ("6228 4850 3586 8024 796", "622848*********4796"),
        ("6228-4850-3586-8024-796", "622848*********4796"),
        ("suspect 411623 19960911 4709.", "suspect 411623********4709."),
        ("".join(chr(0xFF10 + int(c)) for c in "411623199609114709"), "411623********4709"),
        ("P411623199609114709", "P411623********4709"),  # a person's uid
        ("13070765659 13170765658", "130****5659 131****5658"),
        (
            "shared_across_units:Phone:+8613070765659:U1,",
            "shared_across_units:Phone:+86130****5659:U1,",
        ),
    ],
)
def test_redaction_finds_a_number_however_it_is_written(written: str, redacted: str) -> None:
    assert masking.redact(written) == redacted


@pytest.mark.parametrize(
    "kept",
    [
        "2026-01-01T10:00:00+00:00",
        '{"bjsj": "20260101180000", "ssje": "16300.0"}',  # a time and an amount
        "A4116230500002026030001",  # a case number
        "case 12 of 2024, 3 suspects",
        "QmFua0FjY291bnQ6dUZ4bGZ0Z3RhUVQ4RjN2U0J2c2xKZ2NxcEE=",  # a global id: short runs
    ],
)
def test_redaction_leaves_what_is_not_a_personal_number(kept: str) -> None:
    assert masking.redact(kept) == kept


def test_a_number_kept_as_an_integer_is_masked() -> None:
    assert masking.redact({"i": 13803941001, "n": 5, "t": 1767225600}) == {
        "i": "138****1001", "n": 5, "t": 1767225600,
    }  # fmt: skip


def test_the_personal_kinds_are_the_normalisers_of_personal_properties() -> None:
    assert masking.personal_kinds() == {"resident_id", "phone", "bank_card"}


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("130 - 7076 - 5659", "130****5659"),
        ("+855 12 345 678", "+855******78"),
        ("130\u20137076\u20135659", "130****5659"),
        ("411623\uff0c19960911\uff0c4709", "411623********4709"),
        ("411623\t19960911\t4709", "411623********4709"),
        ("411623\u200b199609114709", "411623********4709"),
        ("130 -- 7076 -- 5659", "130****5659"),
        ("".join(chr(0x0660 + int(c)) for c in "13070765659"), "130****5659"),
        ("call +1 202 456 1111 / 200102030405060", "call +120******11 / 200102*****5060"),
        ("+85291234567", "+852******67"),
        ("+12345678", "+123****8"),  # the fewest digits any number has
        ("0394-5421003", "039****1003"),  # a landline
        ("+863945421003", "+86394****003"),
        ("622202163454", "622202****54"),  # a twelve-digit account
        ("6228/4850/3586/8024/796", "622848*********4796"),
        ("411623_19960911_4709", "411623********4709"),
        ("138\uff0d0394\uff0d1001", "138****1001"),  # a full-width keyboard's dashes
        ("6222 0216\n0000 123454", "622202********3454"),
        ("138     0394 1001", "138****1001"),
        ("[138][0394][1001]", "[138****1001]"),
        ("138*0394*1001", "138****1001"),
        ("一三五〇九二四三一六七", "135****3167"),  # Chinese numerals
        ("".join(chr(0x1D7CE + int(c)) for c in "13803941001"), "138****1001"),
    ],
)
def test_redaction_finds_numbers_written_with_other_separators_and_other_countries_phones(
    written: str, redacted: str
) -> None:
    assert masking.redact(written) == redacted


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("202601011800", "202601011800"),  # times as sources write them
        ("20260101180000", "20260101180000"),
        ("200102030405060", "200102*****5060"),  # an account that starts with a date
        ("2025021300000045", "202502******0045"),
        ("20260101186000", "202601****6000"),  # no time: 60 minutes
        ("JY2026082700000006", "JY2026082700000006"),  # a transfer's serial
        ("账户200102030405060", "账户200102*****5060"),
        ("JY2026133100000006", "JY202613******0006"),  # no date: month 13
        ("P13070765659", "P130****5659"),  # a phone after a letter is a phone
    ],
)
def test_a_number_that_starts_with_a_date_is_masked_unless_a_time_or_a_serial(
    written: str, redacted: str
) -> None:
    assert masking.redact(written) == redacted


def test_every_column_of_every_shipped_stream_is_shown_as_its_mapping_says() -> None:
    """Enumerated from the mappings: the columns a stream reads an ID, document, phone
    or account number or a birth date from are personal, never public; the columns it
    reads into a public property are public."""
    import connectors
    from hub.settings import Settings

    found = masking.stream_columns()
    for source in connectors.source_maps(Settings()).values():
        for stream in source.streams.values():
            columns = found[(source.source, stream.name)]
            assert not columns.public & (columns.dates | columns.numbers)
            for identifier in stream.identity.identifiers:
                assert identifier.column in columns.numbers, (source.source, stream.name)
            if "id_number" in stream.person:
                assert stream.person["id_number"] in columns.numbers
            if "birth_date" in stream.identity.features:
                assert set(stream.identity.features["birth_date"].columns) <= columns.dates
            assert stream.id in columns.public
            for node in stream.nodes:
                for prop, column in node.properties.items():
                    shown = masking.personal(node.label, prop) is None
                    assert (column in columns.public) == shown, (stream.name, column)


def _record(**fields: str) -> str:
    return json.dumps(fields)


def test_a_raw_record_is_shown_column_by_column_as_its_streams_mapping_says(
    tmp_path: Path,
) -> None:
    from hub.world.outside import feed_mapping

    raw = _record(rec_id="A000001", given_name="Ann", surname="Example", town="Leeds",
                  street_number="12", date_of_birth="19850312", ni_number="QQ 12 34 56 C",
                  contact="852-9123-4567", born_on="1985-03-12")  # fmt: skip
    # no mapping in use describes the stream: every digit hidden
    hidden = _record(rec_id="A******", given_name="Ann", surname="Example", town="Leeds",
                     street_number="**", date_of_birth="********", ni_number="QQ ** ** ** C",
                     contact="***-****-****", born_on="****-**-**")  # fmt: skip
    assert json.loads(masking.shown_record(raw, "agency:people:A000001")) == json.loads(hidden)
    (tmp_path / "agency.yaml").write_text(feed_mapping("agency"))
    shown = json.loads(masking.shown_record(raw, "agency:people:A000001", tmp_path))
    assert shown["date_of_birth"] is None
    assert shown["ni_number"] == "QQ********* C"
    assert (shown["given_name"], shown["town"], shown["rec_id"]) == ("Ann", "Leeds", "A000001")
    assert shown["street_number"] == "12"  # read into the address, which is public
    # columns the mapping does not name: nothing says what they hold
    assert (shown["contact"], shown["born_on"]) == ("***-****-****", "****-**-**")
    # another stream of the source, or the mapping taken away: digits hidden again
    assert json.loads(masking.shown_record(raw, "agency:other:A000001", tmp_path))["rec_id"] == (
        "A******"
    )
    (tmp_path / "agency.yaml").unlink()
    assert json.loads(masking.shown_record(raw, "agency:people:A000001", tmp_path))["town"] == (
        "Leeds"
    )
    gone = json.loads(masking.shown_record(raw, "agency:people:A000001", tmp_path))
    assert gone["date_of_birth"] == "********" and gone["ni_number"] == "QQ ** ** ** C"


def test_a_raw_record_that_is_no_json_object_shows_no_digit() -> None:
    assert masking.shown_record("411623199609114709;x", "cases:cases:1") == "******************;x"
    assert masking.shown_record("[13070765659]", "cases:cases:1") == "[***********]"


def test_redaction_time_grows_with_the_text_not_its_cube() -> None:
    """A variable of thousands of one-digit groups (a request anyone may send) is
    redacted in the time of a few readings of it: each group starts at most one number
    per length a card can have, never one per group after it."""
    from unittest import mock

    for n in (1_000, 4_000):
        with mock.patch.object(masking, "_joined", wraps=masking._joined) as joined:
            masking.redact(" ".join(["1"] * n))
        assert 0 < joined.call_count <= n * masking._LONGEST


def test_a_mapping_folder_that_cannot_be_read_hides_every_digit_of_a_raw_record(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.yaml").write_text("streams: [unclosed\n")
    raw = json.dumps({"dob": "1985-03-12", "ref": "QZ 12 34 56 C", "town": "Leeds"})
    shown = json.loads(masking.shown_record(raw, "cases:cases:1", tmp_path))
    assert shown == {"dob": "****-**-**", "ref": "QZ ** ** ** C", "town": "Leeds"}


def test_a_text_marked_shown_is_not_redacted_again() -> None:
    shown = masking.Shown('{"ni": "QQ********* C", "n": "13070765659"}')
    assert masking.redact({"raw": shown})["raw"] is shown


@pytest.mark.parametrize(
    "text",
    ["+8613803941001", "411623198503120014", "622202160000123454", "+85512345678",
     "13803941001 / 6228 4850 3586 8024 796", "138*0394*1001"],
)  # fmt: skip
def test_what_redaction_masked_is_never_masked_again(text: str) -> None:
    """An answer's masked numbers go through redaction again (the answer-wide pass)."""
    once = masking.redact(text)
    assert once != text and masking.redact(once) == once


@pytest.mark.parametrize("hour", range(24))
def test_a_time_of_any_hour_fraction_or_offset_is_no_number(hour: int) -> None:
    """The parts of a time are no phone (T09:00:00+00:00 was read as 0900000000)."""
    for written in (f"2026-03-01T{hour:02d}:00:00+00:00", f"2026-12-07T{hour:02d}:52:06.123456+08:00",
                    f"2026-03-01 {hour:02d}:05:09", f"{hour:02d}:00:00.000000-05:00"):  # fmt: skip
        assert masking.redact(written) == written


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("电话 138-0394-1001, 139-0394-1002；另：138-0394-1001 2026年3月1日",
         "电话 138****1001, 139****1002；另：138****1001 2026年3月1日"),
        ("13803941001/13903941002", "138****1001/139****1002"),
        ("幺三八〇三九四幺〇〇幺", "138****1001"),  # as phone numbers are spoken
        ("\u00b9\u00b3\u2078\u2070\u00b3\u2079\u2074\u00b9\u2070\u2070\u00b9", "138****1001"),
        ("\u2460\u2462\u2467\u24ea\u2462\u2468\u2463\u2460\u24ea\u24ea\u2460", "138****1001"),
        ("陸貳貳貳零貳壹陸零零零零壹貳參肆伍肆", "622202********3454"),
        ("1380394" + "\u200b" * 6 + "1001", "138****1001"),
        ("6222      0216 0000 123454", "622202********3454"),
        ("手机13803941001一部", "手机138****1001一部"),  # beside a numeral: the number it is
        ("卡622202160000123454一二三", "卡622202********3454一二三"),
        ("\u3007411623198503120014\u3007", "\u3007411623********0014\u3007"),
        # beside symbols that only look like digits, or with them between its groups
        ("8613803941001\u2460\u2461\u2462", "86138****1001\u2460\u2461\u2462"),
        ("手机13803941001\u2460", "手机138****1001\u2460"),
        ("13803941001\u00b9\u00b2", "138****1001\u00b9\u00b2"),
        ("411623198503120014\u2082", "411623********0014\u2082"),
        ("13803941001\u2776\u1369", "138****1001\u2776\u1369"),
        ("138\u24600394\u24601001", "138****1001"),
        ("13803941001\uff11", "138*****0011"),  # a digit glued on shows none it hides
        # an X ends only an ID number's seventeen digits
        ("13803941001x123", "138****1001x123"),
        ("622202160000123454X", "622202********3454X"),
        ("41162319850312001x", "411623********001X"),
    ],
)  # fmt: skip
def test_numbers_side_by_side_are_each_masked_and_more_ways_of_writing_them_found(
    written: str, redacted: str
) -> None:
    assert masking.redact(written) == redacted


def test_a_number_as_a_float_or_a_key_is_masked() -> None:
    assert masking.redact({"v": 13803941001.0, "13803941001": "x", "amount": 16300.5}) == {
        "v": "138****1001", "138****1001": "x", "amount": 16300.5,
    }  # fmt: skip


# Every character but an ASCII digit that is or stands for one: of any script, however
# new (an index of an older Unicode drops the digits it does not know), and the numerals.
EVERY_DIGIT = [chr(cp) for cp in range(0x80, sys.maxunicode + 1) if chr(cp).isdigit()]
NUMERALS = list(masking._NUMERALS)


def test_a_number_beside_or_between_any_digits_is_masked() -> None:
    """Whatever digits pad a number or part its groups, no reading shows it whole: the
    refusal of numbers (`resolvers.numbers`) refuses what redaction changes."""
    for c in EVERY_DIGIT + NUMERALS:
        for text in (f"8613803941001{c * 9}", f"{c * 9}411623198503120014",
                     f"138{c}0394{c}1001", f"{c * 3}41162319950920263X{c * 3}"):  # fmt: skip
            shown = masking.redact(text)
            assert "0394" not in shown and "1985031200" not in shown, (hex(ord(c)), shown)
            assert "19950920" not in shown, (hex(ord(c)), shown)


def test_the_search_asks_the_index_for_the_digits_redaction_reads() -> None:
    """The digits the search sends the index are the ones redaction read in one of its
    readings: a digit the index might not know is sent as a space, one that stands for an
    ASCII digit as it."""
    for c in EVERY_DIGIT:
        sent = masking.as_indexed(c)
        assert sent == " " or sent in "0123456789", hex(ord(c))
    assert masking.as_indexed("\uff11\uff13\uff18\U00011950") == "138 "
    assert masking.as_indexed("张三王二") == "张三王二"  # numerals are words of names


def test_redaction_takes_any_json_value_however_deep() -> None:
    """Redaction never raises: a value nested deeper than DEEPEST is cut there and
    marked, personal numbers above the cut masked, none below it shown; so is JSON text
    nested deeper than the parser goes."""
    deep: object = "13803941001"
    for _ in range(5000):
        deep = {"a": [deep]}
    redacted = masking.redact({"phone": "13803941001", "junk": deep})
    text = json.dumps(redacted)
    assert redacted["phone"] == "138****1001"
    assert masking.TOO_DEEP in text and "13803941001" not in text
    assert text.count("[") <= masking.DEEPEST
    shallow = {"a": [[[["13803941001"]]]]}
    assert masking.redact(shallow) == {"a": [[[["138****1001"]]]]}
    deep_text = '{"a": ' * 5000 + '"13803941001"' + "}" * 5000
    assert "13803941001" not in masking.redact(deep_text)
    assert "13803941001" not in masking.shown_record(deep_text, "demo:people:1")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (13803941001.5, "138****1001.5"),
        (-13803941001.25, "-138****1001.25"),
        (8613803941001.5, "86138****1001.5"),
        (622202160000123.5, "622202*****0123.5"),
        (13803941001.0, "138****1001"),
    ],
)
def test_a_float_whose_integer_part_is_a_personal_number_is_masked(sent: float, kept: str) -> None:
    """However JSON writes the number, in variables (the audit trail keeps them) as in
    an answer; the text of the float masked as the integer's is."""
    assert masking.redact({"v1": sent}) == {"v1": kept}
    from hub import audit

    stored = audit.event(None, "query Q", audit.ALLOWED, variables={"v1": sent}).variables
    assert stored == json.dumps({"v1": kept})


@pytest.mark.parametrize(
    "kept", [16300.5, 0.8732619047619048, 12.345678901234567, 23.456789012345678, 1234567.891]
)
def test_a_float_that_holds_no_personal_number_stays_a_float(kept: float) -> None:
    """Amounts, scores and percentages in an answer: a score's sixteen decimals are no
    card."""
    assert masking.redact({"score": kept}) == {"score": kept}
