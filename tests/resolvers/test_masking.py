"""Personal numbers are masked for roles without the personal-data permission: the
declared personal fields, and every number of a personal kind anywhere in an answer."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from neo4j import Driver
from starlette.testclient import TestClient

import connectors
from hub import permissions, syncing
from hub.access import Principal, Role
from hub.masking import personal
from hub.migrate import migrate
from hub.resolution import records
from hub.settings import Settings
from hub.world.outside import A_COLUMNS, feed_mapping
from resolvers.masking import MaskPersonal
from resolvers.schema import schema
from resolvers.types import ENTITY_TYPES
from tests.conftest import bearer, gql, wipe
from tests.resolvers import walk, worlds

PERSON = """
query($idNumber: String!) {
  person(idNumber: $idNumber) {
    id name idNumber birthDate
    phones { edges { node { number } } }
    accounts { edges { node { number } } }
  }
}
"""


def numbers(connection: dict[str, Any]) -> list[str]:
    return sorted(edge["node"]["number"] for edge in connection["edges"])


@pytest.mark.parametrize("role", [Role.investigator, Role.supervisor, Role.admin, Role.analyst])
def test_masking_follows_the_personal_data_permission(
    serve: Callable[..., TestClient], settings: Settings, role: Role
) -> None:
    person = gql(serve(), settings, PERSON, role, idNumber="411623198503120014")["data"]["person"]
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
    ids = {
        gql(client, settings, PERSON, role, idNumber="411623198503120014")["data"]["person"]["id"]
        for role in (Role.investigator, Role.analyst)
    }
    assert len(ids) == 1


def test_every_personal_property_of_every_entity_type_is_masked() -> None:
    for type_ in ENTITY_TYPES:
        for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            declared = personal(type_.LABEL, field.python_name) is not None
            masked = any(isinstance(e, MaskPersonal) for e in field.extensions)
            assert declared == masked, f"{type_.LABEL}.{field.python_name}"


RAW = """
query($idNumber: String!) {
  person(idNumber: $idNumber) { uid idNumber label records { edges { node { source raw } } } }
}
"""


@pytest.mark.parametrize("role", [Role.investigator, Role.analyst])
def test_raw_records_are_for_every_role_their_numbers_only_for_those_that_see_them(
    serve: Callable[..., TestClient], settings: Settings, role: Role
) -> None:
    answer = gql(serve(), settings, RAW, role, idNumber="411623198503120014")
    assert "errors" not in answer, answer["errors"]
    person = answer["data"]["person"]
    if permissions.table().sees_personal_data(role):
        assert person["uid"] == "P411623198503120014"
    text = str(answer["data"])
    assert ("411623198503120014" in text) == permissions.table().sees_personal_data(role)


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
        settings, list(made.values()), lambda t, f: table.may_select(analyst.role, t, f)
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
    }
    for field, answer in answers.items():
        assert answer.errors is None, (field, answer.errors[:3])
        text = json.dumps(answer.data, ensure_ascii=False)
        assert not _leaked(text, numbers), f"{field} shows {_leaked(text, numbers)}"
        shown = [d for d in worlds.BIRTH_FORMS if d in text]
        assert not shown, f"{field} shows the birth date {shown}"


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
    query = '{ person(idNumber: "411623198503120014") { idNumber phones { edges { node { label } } } } }'
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
    answer = gql(serve(), settings, '{ node(id: "+86 138 0394 1001") { id } }', Role.analyst)
    assert answer["errors"][0]["message"] == "'+86138****1001' is not an id of this API"


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
    print(
        answer,
        driver.execute_query(
            "MATCH (r:Record {source:'agency'}) OPTIONAL MATCH (r)-[x]-(p) RETURN r.record_id, type(x), labels(p), p.name"
        ).records,
    )
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
