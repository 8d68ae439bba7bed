"""Every query of docs/queries runs against the county and answers without errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from hub.access import Principal, Role
from resolvers.schema import schema
from tests.resolvers.county import County, data, global_id

DOCS = Path(__file__).parents[2] / "docs" / "queries"
ADMIN = Principal("admin", Role.admin)


def _variables(county: County) -> dict[str, dict[str, Any]]:
    path = county.truth("money_paths").row(0, named=True)
    rows, _, _ = county.driver.execute_query(
        "MATCH (v:Person)-[:VICTIM_IN]->(c:Case)<-[:SUSPECT_IN]-(s:Person) "
        "WHERE v.id_number IS NOT NULL "
        "RETURN v.uid AS victim, v.id_number AS id, s.uid AS suspect, c.case_no AS case "
        "ORDER BY c.case_no LIMIT 1"
    )
    row = rows[0]
    victim = global_id(county.settings, "Person", row["victim"])
    suspect = global_id(county.settings, "Person", row["suspect"])
    case = global_id(county.settings, "Case", row["case"])
    return {
        "person": {"idNumber": row["id"]},
        "search": {"text": "诈骗", "kinds": ["Case"], "first": 5},
        "neighbourhood": {"id": victim, "depth": 2, "types": None},
        "paths": {"from": victim, "to": suspect, "maxHops": 4},
        "common-links": {"ids": [victim, suspect], "minShared": 2},
        "money-flow": {"account": path["victim_account"], "since": "2024-01-01T00:00:00+08:00"},
        "case-clusters": {"since": None},
        "co-presence": {"person": victim},
        "fugitive-hits": {"since": "2026-09-01T00:00:00+08:00"},
        "stats": {"from": "2025-01-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"},
        "operation": {"name": "集群打击", "members": ["a"], "ids": [case]},
        "close-operation": {},  # filled in with the operation just made
        "stop-payment": {"account": path["victim_account"], "amount": 100.0, "reason": "demo"},
        "alerts": {"status": None},
        "trigger-sync": {"source": "telepathy"},
        "match-persons": {"input": [{"name": "张伟", "birthDate": "1985-03-12"}]},
        # the same person on both sides: refused with a typed error, the graph untouched
        "decide-same-entity": {"a": victim, "b": victim, "same": True, "reason": "demo"},
    }


FILES = sorted(p.stem for p in DOCS.glob("*.graphql"))


@pytest.mark.parametrize("name", FILES)
def test_each_documented_query_is_valid(name: str) -> None:
    errors = validate(schema._schema, parse((DOCS / f"{name}.graphql").read_text()))
    assert not errors, errors


def test_each_documented_task_runs(resolved: County) -> None:
    synced = resolved  # matchPersons needs the model and blocking keys of a resolution
    variables = _variables(synced)
    assert set(variables) | {"alerts-subscription"} == set(FILES)  # run in test_alerts
    answers = {}
    for name in sorted(variables, key=lambda n: n == "close-operation"):
        if name == "close-operation":
            made = answers["operation"]["createOperation"]["operation"]
            variables[name] = {"operation": made["id"]}
        query = (DOCS / f"{name}.graphql").read_text()
        answers[name] = data(synced.settings, query, ADMIN, **variables[name])
        assert all(v is not None for v in answers[name].values()), name
    assert answers["money-flow"]["moneyFlow"]["endAccounts"]
    assert answers["case-clusters"]["caseClusters"]["clusters"]
    assert answers["person"]["person"]["cases"]["totalCount"] >= 1
    assert answers["close-operation"]["closeOperation"]["operation"]["status"] == "closed"
    assert answers["trigger-sync"]["triggerSync"]["__typename"] == "InvalidInput"
    assert answers["decide-same-entity"]["decideSameEntity"]["__typename"] == "InvalidInput"
