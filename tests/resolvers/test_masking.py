"""Personal numbers are masked for roles without the personal-data permission: the
declared personal fields, and every number of a personal kind anywhere in an answer."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from graphql import GraphQLNonNull, get_named_type
from neo4j import Driver
from starlette.testclient import TestClient
from strawberry.utils.str_converters import to_snake_case

import connectors
from hub import permissions, syncing
from hub.access import Principal, Role
from hub.masking import personal
from hub.migrate import migrate
from hub.resolution import records
from hub.settings import Settings
from hub.world.outside import A_COLUMNS, feed_mapping
from resolvers.masking import MaskPersonal
from resolvers.numbers import kind_of, read_as_a_number
from resolvers.schema import schema
from resolvers.types import ENTITY_TYPES
from tests.conftest import bearer, gql, wipe
from tests.resolvers import walk, worlds

PERSON = """
query($id: ID!) {
  person: node(id: $id) {
    ... on Person {
      id name idNumber birthDate
      phones { edges { node { number } } }
      accounts { edges { node { number } } }
    }
  }
}
"""
ID_NUMBER = "411623198503120014"


def person_id(client: TestClient, settings: Settings) -> str:
    """The id of the fixture's person, looked up by number as a role that may."""
    query = "query($n: String!) { person(idNumber: $n) { id } }"
    found: str = gql(client, settings, query, Role.investigator, n=ID_NUMBER)["data"]["person"][
        "id"
    ]
    return found


def numbers(connection: dict[str, Any]) -> list[str]:
    return sorted(edge["node"]["number"] for edge in connection["edges"])


@pytest.mark.parametrize("role", [Role.investigator, Role.supervisor, Role.admin, Role.analyst])
def test_masking_follows_the_personal_data_permission(
    serve: Callable[..., TestClient], settings: Settings, role: Role
) -> None:
    client = serve()
    person = gql(client, settings, PERSON, role, id=person_id(client, settings))["data"]["person"]
    assert person["name"] == "张伟"
    full = permissions.table().sees_personal_data(role)
    assert full == (role is not Role.analyst)
    if full:
        assert person["idNumber"] == "411623198503120014"
        assert person["birthDate"] == "1985-03-12"
        assert numbers(person["phones"]) == ["+8613803941001", "+8613903941002"]
        assert numbers(person["accounts"]) == ["622202160000123454"]
    else:
        assert person["idNumber"] == "411623********0014"
        assert person["birthDate"] is None  # with it, the hidden digits would be known
        assert numbers(person["phones"]) == ["+86138****1001", "+86139****1002"]
        assert numbers(person["accounts"]) == ["622202********3454"]


def test_the_global_id_is_the_same_whatever_the_role(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    query = '{ search(text: "张伟", kinds: ["Person"]) { edges { node { id } } } }'
    ids = {
        gql(client, settings, query, role)["data"]["search"]["edges"][0]["node"]["id"]
        for role in (Role.investigator, Role.analyst)
    }
    assert ids == {person_id(client, settings)}


def test_every_personal_property_of_every_entity_type_is_masked() -> None:
    for type_ in ENTITY_TYPES:
        for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            declared = personal(type_.LABEL, field.python_name) is not None
            masked = any(isinstance(e, MaskPersonal) for e in field.extensions)
            assert declared == masked, f"{type_.LABEL}.{field.python_name}"


RAW = """
query($id: ID!) {
  person: node(id: $id) {
    ... on Person { uid idNumber label records { edges { node { source raw } } } }
  }
}
"""


@pytest.mark.parametrize("role", [Role.investigator, Role.analyst])
def test_raw_records_are_for_every_role_their_numbers_only_for_those_that_see_them(
    serve: Callable[..., TestClient], settings: Settings, role: Role
) -> None:
    client = serve()
    answer = gql(client, settings, RAW, role, id=person_id(client, settings))
    assert "errors" not in answer, answer["errors"]
    person = answer["data"]["person"]
    if permissions.table().sees_personal_data(role):
        assert person["uid"] == "P411623198503120014"
    text = str(answer["data"])
    assert ("411623198503120014" in text) == permissions.table().sees_personal_data(role)


def _by_number() -> set[str]:
    """Root fields that look an entity up by a personal property (person by ID number)."""
    query = schema._schema.query_type
    assert query is not None
    return {
        name
        for name, field in query.fields.items()
        for arg, spec in field.args.items()
        if isinstance(spec.type, GraphQLNonNull)
        and personal(get_named_type(field.type).name, to_snake_case(arg)) is not None
    }


BY_NUMBER = _by_number()


def _read_as_numbers() -> dict[tuple[str, str, str], str]:
    """(operation, field, argument) of every root field argument read as a number, with
    its kind (`resolvers.numbers.number_argument`)."""
    found = {}
    for operation, type_ in (("query", schema._schema.query_type),
                             ("mutation", schema._schema.mutation_type)):  # fmt: skip
        assert type_ is not None
        for name, field in type_.fields.items():
            for arg, spec in field.args.items():
                kind = kind_of(spec)
                if kind:  # (not a unit's code)
                    found[(operation, name, arg)] = kind
    return found


NUMBER_ARGUMENTS = _read_as_numbers()


def test_every_look_up_by_a_personal_property_is_read_as_a_number() -> None:
    """Enumerated from the schema and graph_schema: an argument named for a personal
    property of what its field returns (`person(idNumber:)`) is marked with that
    property's normaliser, so a role that sees it masked may not send one."""
    query = schema._schema.query_type
    assert query is not None
    for name, field in query.fields.items():
        label = get_named_type(field.type).name
        for arg in field.args:
            prop = personal(label, to_snake_case(arg))
            if prop is not None:
                assert NUMBER_ARGUMENTS.get(("query", name, arg)) == prop.normaliser, (name, arg)
    assert NUMBER_ARGUMENTS[("query", "moneyFlow", "account")] == "bank_card"
    assert NUMBER_ARGUMENTS[("mutation", "requestStopPayment", "account")] == "bank_card"


def _number_arguments(role: Role) -> Iterator[tuple[str, str, str]]:
    """(operation, field, argument) of every String or ID argument of every root field
    `role` may select: where a number could be sent (but a unit's code)."""
    for operation, type_ in (("query", schema._schema.query_type),
                             ("mutation", schema._schema.mutation_type)):  # fmt: skip
        assert type_ is not None
        for name, field in type_.fields.items():
            if not permissions.table().may_select(role, type_.name, name):
                continue
            for arg, spec in field.args.items():
                if get_named_type(spec.type).name in ("String", "ID") and kind_of(spec) != "":
                    yield operation, name, arg


def test_a_role_that_sees_numbers_masked_may_not_send_one(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    """Enumerated from the schema: a personal number in any String or ID argument, or in
    a variable, is refused to a role that sees numbers masked, by a message that shows
    none of it; a look-up by number would confirm guesses of what the mask hides."""
    assert {"person", "phone", "account"} <= BY_NUMBER
    client = serve()
    sent = ["411623198503120014", "+86 130 7076 5659", "6228 4850 3586 8024 796"]
    arguments = list(_number_arguments(Role.analyst))
    assert ("query", "moneyFlow", "account") in arguments and (
        "query",
        "search",
        "text",
    ) in arguments
    for (operation, field, arg), number in zip(arguments, itertools.cycle(sent)):
        answer = gql(
            client, settings, f'{operation} {{ {field}({arg}: "{number}") }}', Role.analyst
        )
        refused = [e for e in answer["errors"] if e["extensions"]["code"] == "FORBIDDEN"]
        assert refused, (field, arg, answer["errors"])
        assert all(not re.search(r"\d{3}", e["message"]) for e in answer["errors"]), answer
        assert "data" not in answer or answer["data"] is None
    query = "query($text: String!) { search(text: $text) { edges { cursor } } }"
    for number in sent:
        answer = gql(client, settings, query, Role.analyst, text=f"who is {number}")
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
        assert gql(client, settings, query, Role.investigator, text=number).get("errors") is None
    assert gql(client, settings, query, Role.analyst, text="张伟 0394").get("errors") is None
    unit = 'query($u: String) { stats(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", '
    unit += "unit: $u) { unit } }"
    assert gql(client, settings, unit, Role.analyst, u="411623060000").get("errors") is None
    # a variable passed to a unit's code and to a look-up is a look-up's
    both = 'query($v: String!) { phone(number: $v) { id } stats(from: "2026-01-01T00:00:00Z", '
    both += 'to: "2026-02-01T00:00:00Z", unit: $v) { unit } }'
    assert (
        gql(client, settings, both, Role.analyst, v="13803941001")["errors"][0]["extensions"][
            "reason"
        ]
        == "PERSONAL_NUMBER"
    )
    two = "query A($v: String!) { phone(number: $v) { id } } query B($v: String) { stats(from: "
    two += '"2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", unit: $v) { unit } }'
    answer = client.post(
        "/graphql",
        json={"query": two, "variables": {"v": "13803941001"}, "operationName": "A"},
        headers=bearer(settings, Role.analyst),
    ).json()
    assert answer["errors"][0]["extensions"]["reason"] == "PERSONAL_NUMBER"
    # a number beside Chinese numerals or symbols that only look like digits (circled,
    # superscript, Ethiopic: a search index reads the number alone), or with them between
    # its groups
    for text in ("\u3007411623198503120014\u3007", "8613803941001一三零\u3007二幺八",
                 "8613803941001\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468",
                 "41162319850312001\u00b9\u00b2", "13803941001\u2776\u1369", "138\u24600394\u24601001",
                 "8613803941001" + "\U00011950" * 10, "\uff11\uff13\uff18\uff10\uff13\uff19\uff14\uff11\uff10\uff10\uff11" + "\U00016ac0" * 6):  # fmt: skip
        answer = gql(client, settings, query, Role.analyst, text=text)
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"], text
    # digits of a script newer than the index's Unicode beside a number: the index finds
    # the number alone, so the role that sees it masked is refused
    padded = "622202160000123454" + "\U00011950" * 10
    found = gql(client, settings, query.replace("cursor", "node { __typename }"), text=padded)
    assert found["data"]["search"]["edges"], found
    answer = gql(client, settings, query, Role.analyst, text=padded)
    assert answer["errors"][0]["extensions"]["reason"] == "PERSONAL_NUMBER"
    # a variable inside a list as well as in a unit's code is looked at
    listed = 'query($v: String!) { stats(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", '
    listed += 'unit: $v) { unit } search(text: "张伟", kinds: [$v]) { edges { cursor } } }'
    answer = gql(client, settings, listed, Role.analyst, v="13803941001")
    assert answer["errors"][0]["extensions"]["reason"] == "PERSONAL_NUMBER"
    for sent in ({"v": 13803941001.0}, {"13803941001": "x"}):
        answer = client.post(
            "/graphql", json={"query": "{ viewer { user } }", "variables": sent},
            headers=bearer(settings, Role.analyst),
        ).json()  # fmt: skip
        assert answer["errors"][0]["extensions"]["reason"] == "PERSONAL_NUMBER", sent
    # whatever form a look-up's normaliser reads as a number: as a literal, a variable
    # and a variable's default (full-width dashes, line breaks, a dialling prefix)
    forms = {"phone": ["138\uff0d0394\uff0d1001", "(138) 0394\u20601001", "17951008613803941001"],
             "bank_card": ["6222 0216\n0000 123454", "6222\u20090216\u20090000\u2009123454"],
             "resident_id": ["41162319850312001\uff14"]}  # fmt: skip
    for (operation, field, arg), kind in NUMBER_ARGUMENTS.items():
        if not permissions.table().may_select(Role.analyst, operation.title(), field):
            continue
        for form in forms[kind]:
            assert read_as_a_number(kind, form), form  # what the look-up would read
            literal = f"{operation} {{ {field}({arg}: {json.dumps(form)}) {{ __typename }} }}"
            variable = f"{operation}($v: String!) {{ {field}({arg}: $v) {{ __typename }} }}"
            default = f"{operation}($v: String = {json.dumps(form)}) {{ {field}({arg}: $v) {{ __typename }} }}"
            for answer in (
                gql(client, settings, literal, Role.analyst),
                gql(client, settings, variable, Role.analyst, v=form),
                gql(client, settings, default, Role.analyst),
            ):
                codes = [e["extensions"].get("reason") for e in answer.get("errors", [])]
                assert "PERSONAL_NUMBER" in codes, (field, form, answer)
    # the account whose money is followed named by its id, as it can be by this role
    account = gql(client, settings, '{ account(number: "622202160000123454") { id } }')
    flow = "query($a: String!) { moneyFlow(account: $a) { start { number } } }"
    started = gql(client, settings, flow, Role.analyst, a=account["data"]["account"]["id"])
    assert started["data"]["moneyFlow"]["start"]["number"] == "622202********3454"


DIGITS = re.compile(r"\d[\d \-.()+\u3000]*\d|\d")


def _leaked(text: str, numbers: list[str]) -> list[str]:
    """The numbers whose digits appear in `text`, however they are spaced or dashed."""
    runs = "|".join("".join(c for c in m.group() if c.isdigit()) for m in DIGITS.finditer(text))
    upper = text.upper()
    found = []
    for number in numbers:
        digits = number.removeprefix("+86").upper()
        if digits.endswith("X"):  # its digits in a run, the X right after them
            shown = digits[:-1] in runs and any(
                "".join(c for c in m.group() if c.isdigit()).endswith(digits[:-1])
                for m in re.finditer(r"[\d \-.()]+X", upper)
            )
        else:
            shown = digits in runs
        if shown:
            found.append(number)
    return found


@pytest.fixture(scope="module")
def walked(
    driver: Driver, settings: Settings
) -> Iterator[tuple[list[str], dict[str, walk.Answer]]]:
    wipe(driver)
    migrate(driver)
    made = worlds.load(driver)
    driver.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    analyst = Principal("analyst", Role.analyst)
    table = permissions.table()
    calls = walk.calls(
        settings,
        list(made.values()),
        lambda t, f: table.may_select(analyst.role, t, f),
        numbers=False,  # refused to it: test_a_role_that_sees_numbers_masked_may_not_send_one
    )
    answers = walk.ask_all(settings, analyst, calls)
    yield [n for w in made.values() for n in w.numbers()], answers
    wipe(driver)


def test_an_analyst_finds_no_personal_number_in_any_field(
    walked: tuple[list[str], dict[str, walk.Answer]],
) -> None:
    assert not permissions.table().sees_personal_data(Role.analyst)
    numbers, answers = walked
    assert set(answers) == {
        f
        for f in schema._schema.query_type.fields  # type: ignore[union-attr]
        if permissions.table().may_select(Role.analyst, "Query", f)
    } - set(BY_NUMBER)
    for field, answer in answers.items():
        assert answer.errors is None, (field, answer.errors[:3])
        text = json.dumps(answer.data, ensure_ascii=False)
        assert not _leaked(text, numbers), f"{field} shows {_leaked(text, numbers)}"
        shown = [d for d in worlds.BIRTH_FORMS if d in text]
        assert not shown, f"{field} shows the birth date {shown}"
    # the money's ends are walked too: the accounts named by id, as this role can
    flows = answers["moneyFlow"].data.values()
    assert any(flow and flow["MoneyFlow_transfers"] for flow in flows), flows


def test_the_walk_would_see_a_number_left_in_an_answer() -> None:
    numbers = ["+8613070765650", "6228485035868024705", "41162319960914473X"]
    assert _leaked("call +86 1307 0765 650 now", numbers) == ["+8613070765650"]
    assert _leaked("卡号 6228-4850-3586-8024-705", numbers) == ["6228485035868024705"]
    assert _leaked("P41162319960914473X", numbers) == ["41162319960914473X"]
    assert _leaked("+86130****5650 622848*********4705 411623********473X", numbers) == []


def test_answers_over_a_websocket_are_masked_as_over_http(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    query = (
        f'{{ person: node(id: "{person_id(client, settings)}") {{ ... on Person {{ '
        "idNumber phones { edges { node { label } } } } } }"
    )
    with client.websocket_connect(
        "/graphql",
        subprotocols=["graphql-transport-ws"],
        headers=bearer(settings, Role.analyst),
    ) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        answer = ws.receive_json()
    person = answer["payload"]["data"]["person"]
    assert person["idNumber"] == "411623********0014"
    labels = sorted(e["node"]["label"] for e in person["phones"]["edges"])
    assert labels == ["+86138****1001", "+86139****1002"]


def test_an_error_message_shows_an_analyst_no_number(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    answer = gql(client, settings, '{ node(id: "A 12-34") { id } }', Role.analyst)
    assert answer["errors"][0]["message"] == "'A 12-34' is not an id of this API"
    answer = gql(client, settings, '{ node(id: "+86 138 0394 1001") { id } }', Role.investigator)
    assert answer["errors"][0]["message"] == "'+86 138 0394 1001' is not an id of this API"
    for query in ('{ node(id: "+86 138 0394 1001") { id } }', "{ node(id: 8613803941001) { id } }"):
        answer = gql(client, settings, query, Role.analyst)
        assert not re.search(r"\d{4}", answer["errors"][0]["message"]), answer


RECORDS = """
query($text: String!) {
  search(text: $text, kinds: ["Person"], first: 5) {
    edges { node { ... on Person { name address records { edges { node { source raw } } } } } }
  }
}
"""


@pytest.mark.parametrize("role", [Role.investigator, Role.analyst])
def test_a_source_added_through_a_mapping_folder_shows_its_personal_columns_as_a_shipped_one(
    serve: Callable[..., TestClient],
    driver: Driver,
    settings: Settings,
    tmp_path: Path,
    role: Role,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A raw record of a HUB_MAPPINGS_DIR source read through the API: its birth-date
    column hidden and its document number masked for a role without personal data."""
    folder, drop = tmp_path / "mappings", tmp_path / "drop"
    (drop / "people").mkdir(parents=True)
    folder.mkdir()
    (folder / "agency.yaml").write_text(feed_mapping("agency"))
    row = {c: "" for c in A_COLUMNS} | {
        "rec_id": "A000001", "given_name": "Quentin", "surname": "Zebedee", "sex": "M",
        "date_of_birth": "19850312", "town": "Leeds", "ni_number": "QZ 12 34 56 C",
    }  # fmt: skip
    pl.DataFrame([row]).write_csv(drop / "people" / "2026-11-01.csv")
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps({"agency": {"drop": str(drop)}}))
    local = dataclasses.replace(settings, mappings_dir=folder, sources_file=sources)
    client = serve(mappings_dir=folder, sources_file=sources)
    monkeypatch.setenv("HUB_MAPPINGS_DIR", str(folder))  # what `hub sync` would be given
    records.person_streams.cache_clear()
    try:
        asyncio.run(syncing.sync(driver, local, [connectors.build("agency", local)]))
    finally:
        monkeypatch.undo()
        records.person_streams.cache_clear()
    driver.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    answer = gql(client, settings, RECORDS, role, text="Quentin Zebedee")
    assert "errors" not in answer, answer["errors"]
    raws = [
        json.loads(r["node"]["raw"])
        for e in answer["data"]["search"]["edges"]
        for r in e["node"]["records"]["edges"]
        if r["node"]["source"] == "agency"
    ]
    assert len(raws) == 1
    # the person's name and address, each read from several columns, are on the graph
    persons = [e["node"] for e in answer["data"]["search"]["edges"]]
    assert {"name": "Quentin Zebedee", "address": "Leeds"} in [
        {"name": p["name"], "address": p["address"]} for p in persons
    ]
    if permissions.table().sees_personal_data(role):
        assert (raws[0]["date_of_birth"], raws[0]["ni_number"]) == ("19850312", "QZ 12 34 56 C")
    else:
        assert (raws[0]["date_of_birth"], raws[0]["ni_number"]) == (None, "QZ********* C")
    assert raws[0]["town"] == "Leeds"
