"""Masking and redaction of personal numbers."""

from hub import masking


def test_each_kind_of_number_keeps_its_useful_ends() -> None:
    assert masking.mask("411623198503120014", "resident_id") == "411623********0014"
    assert masking.mask("+8613803941001", "phone") == "+86138****1001"
    assert masking.mask("622202160000123454", "bank_card") == "622202********3454"
    assert masking.mask("abc", "resident_id") == "***"


def test_personal_properties_come_from_the_graph_schema() -> None:
    found = masking.personal("Person", "id_number")
    assert found is not None and found.normaliser == "resident_id"
    assert masking.personal("Person", "name") is None
    assert masking.personal("Nothing", "id_number") is None


def test_redaction_masks_long_numbers_anywhere_in_variables() -> None:
    variables = {"idNumber": "41162319920708026X", "q": ["call 13803941001"], "n": 5}
    assert masking.redact(variables) == {
        "idNumber": "411623********026X",
        "q": ["call 138******01"],
        "n": 5,
    }
