"""Commands of the `hub` CLI as processes against the suite's graph (the demo and the
server as a user runs them are tests/journeys)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from neo4j import Driver

from hub import demo
from hub.access import Role
from hub.loader import Loader

HUB = str(Path(sys.executable).with_name("hub"))


def hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUB, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )


def test_db_migrate_reports_and_is_idempotent(graph: Driver) -> None:
    result = subprocess.run(
        [HUB, "db", "migrate"], capture_output=True, text=True, check=True, timeout=120
    )
    assert "0 created" in result.stdout


def test_keys_are_created_listed_and_revoked_and_each_step_audited(graph: Driver) -> None:
    created = hub("keys", "create", "--name", "fraud dashboard", "--role", "analyst")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    assert key.startswith(f"hub_{key_id}_")
    listed = hub("keys", "list")
    assert key_id in listed.stdout and "fraud dashboard" in listed.stdout
    assert key not in listed.stdout
    assert hub("keys", "revoke", key_id).returncode == 0
    again = hub("keys", "revoke", "000000000000")
    assert again.returncode == 1 and "no API key" in again.stderr
    actions, _, _ = graph.execute_query(
        "MATCH (e:AuditEvent) RETURN e.action AS action, e.outcome AS outcome ORDER BY e.seq"
    )
    assert [(r["action"], r["outcome"]) for r in actions] == [
        ("keys create", "allowed"),
        ("keys list", "allowed"),
        ("keys revoke", "allowed"),
        ("keys revoke", "error"),
    ]
    assert hub("audit", "verify").returncode == 0


def test_db_reset_empties_the_graph_and_leaves_it_migrated_and_audited(graph: Driver) -> None:
    demo.load(Loader(graph))
    asked = hub("db", "reset")  # stdin is not a terminal: no one to ask
    assert asked.returncode == 1 and "add --yes" in asked.stderr
    assert graph.execute_query("MATCH (n:Person) RETURN count(n) AS n").records[0]["n"] > 0
    done = hub("db", "reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert "nodes deleted" in done.stdout
    left, _, _ = graph.execute_query("MATCH (n) RETURN labels(n)[0] AS label, n.action AS action")
    # the schema's version, and the audit trail begun again by the reset itself
    assert sorted((r["label"], r["action"]) for r in left) == [
        ("AuditEvent", "db reset"),
        ("AuditHead", None),
        ("HubSchema", None),
    ]
    assert "0 created" in hub("db", "migrate").stdout
    assert hub("audit", "verify").returncode == 0


def test_usage_mistakes_are_refused_with_one_line_and_exit_code_2() -> None:
    for args, wrong in [
        (("token", "--user", "x", "--role", "investigator", "--ttl", "-5"), "--ttl"),
        (("token", "--user", "x", "--role", "investigator", "--ttl", "0"), "--ttl"),
        (("serve", "--port", "0"), "--port"),
        (("match", "people.csv", "--mapping", "agency", "--top", "-1"), "--top"),
        (("match", "people.csv", "--mapping", "agency", "--top", "0"), "--top"),
        (("match", "people.csv", "--mapping", "agency", "--top", "99999999"), "--top"),
        (("sync", "nosuchsource"), "nosuchsource"),
    ]:
        refused = hub(*args)
        assert refused.returncode == 2, (args, refused.stdout)
        assert wrong in refused.stderr and "Traceback" not in refused.stderr
    shown = hub("serve", "--help").stdout
    assert "--host" in shown and "--port" in shown


def test_credentials_of_a_unit_role_made_without_a_unit_say_what_they_will_see(
    graph: Driver,
) -> None:
    """An investigator's or supervisor's token or key without --unit sees no unit's
    cases: it is made, and the command says so; with a unit, or for a role that sees
    every unit, it says nothing."""
    for role in Role:
        for args in (("token", "--user", "x"), ("keys", "create", "--name", "x")):
            made = hub(*args, "--role", role)
            assert made.returncode == 0, made.stderr
            assert made.stdout.strip().splitlines()[-1], role
            noted = "without --unit sees no unit's cases" in made.stderr
            assert noted == (role in (Role.investigator, Role.supervisor)), (role, args)
            with_unit = hub(*args, "--role", role, "--unit", "411623050000")
            assert "--unit" not in with_unit.stderr, (role, args)
