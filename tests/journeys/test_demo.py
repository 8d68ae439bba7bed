"""The demo as a first-time user meets it, and the jobs that run beside it.

`./scripts/demo` in a fresh data folder; the README's person query with the token it
printed; every command block of the README as printed; `hub sync` again and again with
nothing new; a source system that is down; an alert heard over a real WebSocket from
`hub serve`; then Ctrl-C, everything gone, and a second start on the same folder.

The tests run in this order and share the one demo of tests/journeys/conftest.py.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from websockets.sync.client import connect
from websockets.typing import Subprotocol

import connectors
from connectors.base import shipped
from hub import db
from hub.settings import Settings
from tests.journeys.processes import (
    HUB,
    PERSON,
    REPO,
    Demo,
    alive,
    free_port,
    hub,
    in_terminal,
    port_free,
)
from tests.journeys.readme import README, blocks

DOCS = REPO / "docs" / "queries"
EVERY_PERIOD = {"from": "2000-01-01T00:00:00+08:00", "to": "2030-01-01T00:00:00+08:00"}
CASES = "query Cases($from: DateTime!, $to: DateTime!) { stats(from: $from, to: $to) { figures { name value } } }"


def _streams_of(source: str) -> list[str]:
    kind = {**connectors.HTTP, **connectors.FILES}[source]
    return list(shipped(kind.mapping_file).streams)


def _said(output: str) -> str:
    """Output with its lines joined, as a reader takes wrapped lines."""
    return " ".join(output.split())


def _cases(demo: Demo, token: str) -> int:
    figures = demo.graphql(CASES, token, **EVERY_PERIOD)["data"]["stats"]["figures"]
    return int(next(f["value"] for f in figures if f["name"] == "casesAccepted"))


def _graph(demo: Demo, query: str) -> list[dict[str, Any]]:
    with db.connected(Settings.from_env(demo.env)) as driver:
        rows, _, _ = driver.execute_query(query)
    return [r.data() for r in rows]


def _fingerprint(demo: Demo) -> list[dict[str, Any]]:
    """What a sync could write: every node and relationship but the audit trail and the
    sync bookkeeping, and when each record was fetched."""
    return _graph(
        demo,
        "MATCH (n) WHERE NOT n:AuditEvent AND NOT n:AuditHead AND NOT n:SyncState "
        "WITH count(n) AS nodes "
        "MATCH ()-[r]->() WITH nodes, count(r) AS relationships "
        "MATCH (x:Record) RETURN nodes, relationships, count(x) AS records, "
        "sum(x.fetched_at.epochMillis) AS fetched",
    )


def _streams(stdout: str) -> dict[str, list[str]]:
    """The rows of `hub sync`'s table: stream -> its figures."""
    return {
        cells[0]: cells[1:]
        for line in stdout.splitlines()
        if (cells := line.split())
        and re.fullmatch(r"(cases|fraud|fugitives|bigdata)(/\w+)?", cells[0])
    }


def _wanted(demo: Demo) -> dict[str, Any]:
    (row,) = _graph(
        demo,
        "MATCH (p:Person)-[:WANTED_BY]->(w:Warrant) WHERE w.status IN ['在逃', 'active'] "
        "AND p.id_number IS NOT NULL AND p.name IS NOT NULL "
        "RETURN p.name AS name, p.id_number AS id, w.warrant_no AS warrant "
        "ORDER BY w.warrant_no LIMIT 1",
    )
    return row


def _drop_a_check_in(demo: Demo, person: dict[str, Any], day: str, at: str) -> None:
    """The big-data centre drops a hotel file for `day` holding one check-in of `person`."""
    hotel = sorted((demo.world / "sources" / "bigdata" / "hotel").glob("*.parquet"))[-1]
    row = (
        pl.read_parquet(hotel)
        .head(1)
        .with_columns(
            lsh=pl.lit(f"LG{at[:10]}"),
            xm=pl.lit(person["name"]),
            zjhm=pl.lit(person["id"]),
            rzsj=pl.lit(at),
            tfsj=pl.lit(None, pl.String),
        )
    )
    row.write_parquet(demo.world / "drop" / "hotel" / f"{day}.parquet")


def _fugitive_alerts(demo: Demo, warrant: str, day: str) -> list[str]:
    query = (DOCS / "alerts.graphql").read_text()
    edges = demo.graphql(query, status=None)["data"]["alerts"]["edges"]
    return [
        e["node"]["summary"]
        for e in edges
        if e["node"]["rule"] == "fugitive_seen"
        and warrant in e["node"]["summary"]
        and day in e["node"]["summary"]
    ]


def test_the_first_start_answers_the_readme_person_query_with_its_token(demo: Demo) -> None:
    assert httpx.post(f"{demo.url}/graphql", json={"query": PERSON}).status_code == 401
    person = demo.graphql(PERSON)["data"]["person"]
    assert person["name"] == "张伟" and person["phones"]["totalCount"] == 2
    # the investigator's unit handles the fraud case this person is a suspect in
    assert [e["node"]["caseNo"] for e in person["cases"]["edges"]] == ["A4116230500002026030001"]
    # what each token sees is what the demo said it sees
    own, every = map(
        int,
        re.search(r"its (\d+) of the (\d+) cases", _said(demo.output)).groups(),  # type: ignore[union-attr]
    )
    assert 1 < own < every
    assert _cases(demo, "HUB_TOKEN") == own
    assert _cases(demo, "HUB_ANALYST_TOKEN") == every
    refused = httpx.post(
        f"{demo.url}/graphql",
        json={"query": '{ person(idNumber: "411623198503120014") { idNumber } }'},
        headers={"authorization": f"Bearer {demo.tokens['HUB_ANALYST_TOKEN']}"},
    ).json()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    found = demo.graphql(
        '{ search(text: "张伟", kinds: ["Person"], first: 5) '
        "{ edges { node { ... on Person { idNumber } } } } }",
        "HUB_ANALYST_TOKEN",
    )["data"]["search"]["edges"]
    assert "411623********0014" in [e["node"]["idNumber"] for e in found]
    # clean output: the simulators' own lines and the driver's notifications stay out of it
    output = demo.output
    assert "Ctrl+C to stop" not in output and "Received notification" not in output
    assert "Traceback" not in output
    # ...the notifications are in the debug log, and `hub --verbose` shows them
    assert (
        "Received notification from DBMS server" in (demo.folder / "logs" / "hub.log").read_text()
    )
    assert demo.quiet_command is not None
    listed, logged = demo.quiet_command
    assert listed.returncode == 0, listed.stderr
    assert logged > 0 and "Received notification" not in listed.stdout + listed.stderr
    assert demo.first_command is not None and demo.cache is not None
    code, shown = demo.first_command
    assert code == 0, shown
    assert any("Received notification from DBMS server" in line for line in shown), shown
    # that first command fetched Neo4j into the download cache, saying so while it did
    version = Settings.from_env(demo.env).neo4j_version
    assert any(f"fetching Neo4j {version} from Maven Central" in line for line in shown), shown
    assert any(re.match(r"Neo4j \S+ started on bolt://", line) for line in shown), shown
    assert (demo.cache / f"neo4j-{version}" / "complete").exists()
    assert not (demo.folder / "cache").exists()  # nothing downloaded into the data folder


def test_every_command_block_of_the_readme_works_as_printed(demo: Demo) -> None:
    """Each ```bash block run as printed, with the demo's tokens pasted into the shell
    (`export HUB_TOKEN=...`) and `hub` on the PATH, against the demo at its ports (the
    README's 8000 and 8700 are other users' demo here); a ```json block under one is its
    answer."""
    harness, *printed = blocks()
    commands = [line.split("#")[0].strip() for line in harness.code.splitlines()]
    assert commands == ["./scripts/demo", "./scripts/test"]  # what this stage runs, and CI
    assert len([block for block in printed if block.answer]) >= 3  # person twice, money flow
    for block in printed:
        code = block.code.replace("127.0.0.1:8000", f"127.0.0.1:{demo.port}").replace(
            "127.0.0.1:8700", f"127.0.0.1:{demo.simulator_port}"
        )
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", code],
            cwd=REPO,
            env=demo.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        where = f"README line {block.line}:\n{block.code}"
        assert done.returncode == 0, f"{where}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{where}\n{done.stderr}"
        if block.answer is not None:
            assert json.loads(done.stdout) == json.loads(block.answer), f"{where}\n{done.stdout}"


def test_the_readme_money_flow_starts_at_the_report_it_names_and_ends_as_the_truth(
    demo: Demo,
) -> None:
    """What the README says around the money-flow answer holds in the demo's county: the
    card is the named report's victim's, `since` is the day of that report, and the
    ground-truth path it names ends in the accounts, amounts and outcomes of the answer."""
    text = README.read_text(encoding="utf-8")
    (block,) = [b for b in blocks() if "money-flow.graphql" in b.code]
    assert block.answer is not None
    asked = re.search(r'account: "(\d+)", since: "(\d{4})-(\d\d)-(\d\d)T', block.code)
    assert asked is not None, block.code
    account, since = asked.group(1), "".join(asked.group(2, 3, 4))
    report = re.search(r"fraud report (BJ\d+)", text).group(1)  # type: ignore[union-attr]
    path = re.search(r"path\s+(JY\d+)", text).group(1)  # type: ignore[union-attr]
    (filed,) = (
        pl.read_parquet(demo.world / "sources" / "fraud" / "reports.parquet")
        .filter(pl.col("bjbh") == report)
        .to_dicts()
    )
    assert filed["shrzh"] == account and filed["bjsj"][:8] == since
    (truth,) = (
        pl.read_parquet(demo.world / "truth" / "money_paths.parquet")
        .filter(pl.col("path_id") == path)
        .to_dicts()
    )
    assert truth["report_id"] == report and truth["victim_account"] == account
    ends = json.loads(block.answer)["data"]["moneyFlow"]["endAccounts"]
    assert sorted((e["account"]["number"], e["amount"], e["outcome"]) for e in ends) == sorted(
        zip(truth["end_accounts"], truth["end_amounts"], truth["end_outcomes"], strict=True)
    )


def test_a_sync_with_nothing_new_writes_nothing_and_says_so_every_time(demo: Demo) -> None:
    before = _fingerprint(demo)
    first = hub("sync", env=demo.env)
    assert first.returncode == 0, first.stderr
    streams = _streams(first.stdout)
    assert set(streams) == {f"{s}/{name}" for s in connectors.names() for name in _streams_of(s)}
    assert all(figures[1] == "0" for figures in streams.values()), first.stdout  # written
    assert "nothing new" in first.stdout
    # again, in an 80-column terminal: progress shown, its timings whole
    code, shown = in_terminal("sync", env=demo.env)
    assert code == 0, shown
    assert any("nothing new" in line for line in shown), shown
    progress = [line for line in shown if re.match(r"\s*\d+:\d\d:\d\d\s", line)]
    assert progress, shown
    assert not [line for line in shown if "…" in line or len(line) > 80], shown
    assert _fingerprint(demo) == before


def test_another_county_into_this_data_folder_is_refused_with_how_to_start_clean(
    demo: Demo, tmp_path: Path
) -> None:
    other = demo.sources()
    for entry in other.values():
        if "origin" in entry:
            entry["origin"] = "county of 2,000 people, seed 3, noise default"
    path = tmp_path / "other-county.json"
    path.write_text(json.dumps(other))
    before = _fingerprint(demo)
    done = hub("sync", env={**demo.env, "HUB_SOURCES": str(path)})
    assert done.returncode == 1, done.stdout
    # what it said besides the steps it waited for (a line each in a pipe)
    said = _said("\n".join(line for line in done.stderr.splitlines() if not line.endswith(" ...")))
    assert said.startswith("error: ") and "Traceback" not in said
    assert "county of 10,000 people, seed 1" in said and "seed 3" in said
    assert "`hub db reset`" in said and "HUB_DATA_DIR" in said
    assert _fingerprint(demo) == before


def test_a_source_system_that_is_down_fails_alone_named_with_its_url(
    demo: Demo, tmp_path: Path
) -> None:
    """The case system is stopped (nothing listens at its address); the other sources
    sync, resolution and the alert rules run over what was loaded, and the exit code
    says partial."""
    wanted = _wanted(demo)
    _drop_a_check_in(demo, wanted, "2026-11-02", "202611020930")
    sources = demo.sources()
    stopped = f"http://127.0.0.1:{free_port()}"
    sources["cases"]["url"] = stopped
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(sources))
    done = hub("sync", env={**demo.env, "HUB_SOURCES": str(path)})
    assert done.returncode == 3, (done.stdout, done.stderr)
    said = _said(done.stderr)
    assert f"not loaded: cases: {stopped}/api/v1/cases did not answer" in said, said
    assert "`hub sync cases`" in said and "Traceback" not in said
    # a pipe sees each stream move, though the bars are for terminals
    assert re.search(r"bigdata/hotel: [\d,]+ written, [\d,]+ quarantined", said), said
    streams = _streams(done.stdout)
    assert "cases" not in streams and streams["cases/cases"][1] == "0"  # named on stderr
    (failed,) = [line for line in done.stdout.splitlines() if line.startswith("not loaded")]
    assert set(failed.split(": ")[1].split(", ")) == {f"cases/{s}" for s in _streams_of("cases")}
    assert all(len(row) == 5 for row in streams.values())  # every name whole, on one line
    assert streams["bigdata/hotel"][1] == "1"  # written
    assert {
        f"{source}/{s}" for source in ("fraud", "fugitives") for s in _streams_of(source)
    } < set(streams)
    assert "person records" in done.stdout  # resolution ran
    assert _fugitive_alerts(demo, wanted["warrant"], "2026-11-02")  # and the alert rules
    # once the case system answers again, its sync catches up
    again = hub("sync", "cases", env=demo.env)
    assert again.returncode == 0, again.stderr


def test_a_subscriber_hears_over_a_websocket_of_the_alert_a_connector_key_triggered(
    demo: Demo, tmp_path: Path
) -> None:
    wanted = _wanted(demo)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [HUB, "serve", "--port", str(port)],
            env={**demo.env, "HUB_ALERT_POLL": "0.2"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and serve.poll() is None:
            try:
                if httpx.get(f"http://{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        created = hub("keys", "create", "--name", "sync job", "--role", "connector", env=demo.env)
        key = created.stdout.strip().splitlines()[-1]
        with connect(
            f"ws://{url}/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers={"Authorization": f"Bearer {demo.tokens['HUB_TOKEN']}"},
            open_timeout=30,
        ) as ws:
            ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
            subscription = (DOCS / "alerts-subscription.graphql").read_text()
            ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": subscription}})
            )
            _drop_a_check_in(demo, wanted, "2026-11-03", "202611031015")
            started = httpx.post(
                f"http://{url}/graphql",
                json={
                    "query": (DOCS / "trigger-sync.graphql").read_text(),
                    "variables": {"source": "bigdata"},
                },
                headers={"authorization": f"Bearer {key}"},
                timeout=60,
            ).json()
            assert started["data"]["triggerSync"]["__typename"] == "SyncStarted", started
            heard: list[dict[str, Any]] = []
            deadline = time.monotonic() + 300  # the machine may be busy
            while time.monotonic() < deadline:
                message = json.loads(ws.recv(timeout=deadline - time.monotonic()))
                assert message["type"] == "next", message
                heard.append(message["payload"]["data"]["alerts"])
                if (
                    wanted["warrant"] in heard[-1]["summary"]
                    and "2026-11-03" in heard[-1]["summary"]
                ):
                    break
            assert heard and heard[-1]["rule"] == "fugitive_seen", heard
            ws.send(json.dumps({"id": "1", "type": "complete"}))
    finally:
        serve.send_signal(signal.SIGINT)
        code = serve.wait(timeout=60)
    assert code == 0 and port_free(port)
    assert "WebSocket library" not in log.read_text()


def test_resolve_explain_prints_ids_as_they_are_and_what_waits_for_review(demo: Demo) -> None:
    # a hotel registers a guest by name and birth date, without the ID number; the name is
    # the county's commonest: the guest could be its person born that day, or a namesake
    (person,) = _graph(
        demo,
        "MATCH (p:Person)<-[:RECORD_OF]-(:Record) WHERE p.uid STARTS WITH 'P' "
        "AND p.birth_date IS NOT NULL AND p.sex IS NOT NULL "
        "WITH p.name AS name, collect(DISTINCT p) AS namesakes "
        "ORDER BY size(namesakes) DESC, name LIMIT 1 "
        "UNWIND namesakes AS p WITH p ORDER BY p.uid LIMIT 1 "
        "RETURN p.uid AS uid, p.name AS name, p.birth_date AS birth, p.sex AS sex",
    )
    hotel = sorted((demo.world / "sources" / "bigdata" / "hotel").glob("*.parquet"))[-1]
    guest = (
        pl.read_parquet(hotel)
        .head(1)
        .with_columns(
            lsh=pl.lit("LGNOID0001"),
            xm=pl.lit(person["name"]),
            xb=pl.lit("男" if person["sex"] == "M" else "女"),
            csrq=pl.lit(person["birth"].iso_format().replace("-", "")),
            dz=pl.lit(None, pl.String),
            zjhm=pl.lit(None, pl.String),
            rzsj=pl.lit("202611010930"),
            tfsj=pl.lit(None, pl.String),
        )
    )
    guest.write_parquet(demo.world / "drop" / "hotel" / "2026-11-01.parquet")
    assert hub("sync", "bigdata", env=demo.env).returncode == 0
    (pair,) = _graph(
        demo,
        "MATCH (j:Judgement {verdict: 'unsure', right: 'R:bigdata:hotel:LGNOID0001'}) "
        "RETURN j.left AS left, j.right AS right",
    )
    assert pair["left"] == person["uid"]  # not merged: only the name and birth date agree
    record = pair["right"].removeprefix("R:")  # e.g. bigdata:hotel:LG0000000706
    shown = hub("resolve", "--explain", pair["right"], env=demo.env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert f"record {record}  identity {pair['right']}" in lines  # no emoji, nothing cut
    assert "waiting in the review queue: " in shown.stdout
    assert f"hub review decide {pair['left']} {pair['right']} positive|negative" in shown.stdout
    assert "no judgement was needed" not in shown.stdout
    # the README's person, which the demo graph wrote without source records
    readme = hub("resolve", "--explain", "P411623198503120014", env=demo.env)
    assert readme.returncode == 0, readme.stderr
    assert readme.stdout.startswith("P411623198503120014 张伟")


def test_ctrl_c_stops_all_it_started_and_the_next_start_answers_again(demo: Demo) -> None:
    # Neo4j was running before the demo (`hub sources` started it): it keeps running
    neo4j = demo.neo4j_pid()
    assert neo4j is not None
    code, started = demo.stop(signal.SIGINT, group=True)  # Ctrl-C in its terminal
    assert code == 0, demo.output
    assert started and not [pid for pid in started if alive(pid)], started
    assert all(port_free(p) for p in demo.ports if p != demo.neo4j_port)
    assert "was running before the demo and keeps running: `hub neo4j stop` stops it" in _said(
        demo.output
    )
    assert demo.neo4j_pid() == neo4j
    assert hub("neo4j", "stop", env=demo.env).returncode == 0
    assert port_free(demo.neo4j_port)

    # the second start on the same data folder starts Neo4j itself, and has nothing new
    demo.start()
    demo.wait_ready()
    assert demo.graphql(PERSON)["data"]["person"]["name"] == "张伟"
    assert "nothing new" in demo.output and "Traceback" not in demo.output
    neo4j = demo.neo4j_pid()
    assert neo4j is not None
    code, started = demo.stop(signal.SIGTERM, group=False)  # as a service manager stops it
    assert code == 0, demo.output
    assert "Neo4j stopped" in demo.output
    assert not alive(neo4j) and not [pid for pid in started if alive(pid)]
    assert all(port_free(p) for p in demo.ports)
