"""`hub simulate` over real HTTP: a small generated county served by the simulators, run as
the command line runs them (a subprocess), checked against the generated files."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from hub.simulate import Simulation
from hub.simulate.control import control_app

PEOPLE = 1_000
START = "2026-09-15T12:00:00"  # naive: Beijing time; leaves a month of rows and files hidden
CLI_FAULTS = "fugitives=slow:0.5,slow_seconds:0.01,retry_after:3"
SYSTEMS = ("cases", "fraud", "fugitives")
Rows = list[dict[str, Any]]
Page = tuple[Rows, str | None]


@dataclass(frozen=True)
class Api:
    """How a system is asked for a page and where its answer keeps rows and cursor."""

    path: str
    since: str
    cursor: str
    limit: str
    rows: Callable[[Any], Rows]
    next: Callable[[Any], str | None]
    error: Callable[[Any], tuple[int | None, str]]  # status in the body (if any), message


def _fraud_next(body: Any) -> str | None:
    result = body["result"]
    assert result["hasMore"] is (result["cursor"] is not None)
    return result["cursor"]  # type: ignore[no-any-return]


API = {
    "cases": Api(
        "/api/v1/{}", "updated_since", "cursor", "page_size",
        rows=lambda b: b["data"]["list"],
        next=lambda b: b["data"]["next_cursor"],
        error=lambda b: (b["code"], b["msg"]),
    ),
    "fraud": Api(
        "/fzzx/api/{}", "gxsj_start", "cursor", "size",
        rows=lambda b: b["result"]["rows"],
        next=_fraud_next,
        error=lambda b: (None, b["errorMsg"]) if b["success"] is False else (0, ""),
    ),
    "fugitives": Api(
        "/wanted/v2/{}", "modifiedSince", "after", "limit",
        rows=lambda b: b["records"],
        next=lambda b: b["paging"]["after"],
        error=lambda b: (b["error"]["status"], b["error"]["message"]),
    ),
}  # fmt: skip


@dataclass
class Sim:
    world: Path
    manifest: dict[str, Any]
    first_status: dict[str, Any]
    control: httpx.Client
    clients: dict[str, httpx.Client]

    def status(self) -> dict[str, Any]:
        response = self.control.get("/status")
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    def clock(self) -> datetime:
        now = datetime.fromisoformat(self.status()["clock"])
        assert now.utcoffset() == timedelta(hours=8)
        return now.replace(tzinfo=None)

    def get(self, system: str, stream: str, **params: str | int | None) -> httpx.Response:
        """A GET of a stream, with since, cursor and limit under the system's own names."""
        api = API[system]
        names = {"since": api.since, "cursor": api.cursor, "limit": api.limit}
        query = {names.get(key, key): value for key, value in params.items() if value is not None}
        return self.clients[system].get(api.path.format(stream), params=query)

    def page(self, system: str, stream: str, **params: str | int | None) -> Page:
        response = self.get(system, stream, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        return API[system].rows(body), API[system].next(body)

    def pages(
        self, system: str, stream: str, *, since: str | None = None, limit: int | None = None
    ) -> list[Rows]:
        """Every page until the cursor comes back null."""
        cursor: str | None = None
        pages = []
        while True:
            rows, cursor = self.page(system, stream, since=since, cursor=cursor, limit=limit)
            pages.append(rows)
            if cursor is None:
                return pages
            assert rows, "a page with a next cursor must not be empty"

    def set_faults(self, system: str, faults: dict[str, float]) -> None:
        response = self.control.post(f"/faults/{system}", json=faults)
        assert response.status_code == 200, response.text


def _free_port_base() -> int:
    for base in range(21_000 + os.getpid() % 997 * 30, 60_000, 10):
        sockets = []
        try:
            for port in range(base, base + 4):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no four free ports in a row")


@pytest.fixture(scope="module")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=PEOPLE, seed=1, noise="hard")


@pytest.fixture(scope="module")
def sim(world: Path) -> Iterator[Sim]:
    base = _free_port_base()
    command = [
        sys.executable, "-c", "from hub.cli.simulate import app; app()",
        "--world", str(world), "--port-base", str(base), "--start-at", START,
        "--faults", CLI_FAULTS, "--seed", "7",
    ]  # fmt: skip
    log_path = world / "simulate.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            manifest_path = world / "simulators.json"
            deadline = time.monotonic() + 60
            while not manifest_path.exists():
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the simulators did not start"
                time.sleep(0.05)
            manifest = json.loads(manifest_path.read_text())
            assert manifest_path.stat().st_mode & 0o777 == 0o600
            clients = {
                name: httpx.Client(
                    base_url=manifest[name]["url"],
                    headers={"Authorization": f"Bearer {manifest[name]['token']}"},
                    timeout=10,
                )
                for name in SYSTEMS
            }
            with httpx.Client(base_url=manifest["control"]["url"], timeout=10) as control:
                try:
                    first = control.get("/status").json()
                    yield Sim(world, manifest, first, control, clients)
                finally:
                    for client in clients.values():
                        client.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


def streams(world: Path, system: str) -> list[str]:
    return sorted(p.stem for p in (world / "sources" / system).glob("*.parquet"))


def expected(world: Path, system: str, stream: str, now: datetime) -> Rows:
    """The stream's rows visible at now, as the protocol says they are served."""
    frame = pl.read_parquet(world / "sources" / system / f"{stream}.parquet")
    frame = frame.filter(pl.col("updated_at") <= now).sort("updated_at", frame.columns[0])
    return frame.with_columns(pl.col("updated_at").dt.strftime("%Y-%m-%d %H:%M:%S")).to_dicts()


def ids(rows: Rows) -> list[Any]:
    return [next(iter(row.values())) for row in rows]


def test_every_system_answers_401_in_its_own_shape(sim: Sim) -> None:
    for system in SYSTEMS:
        url = sim.manifest[system]["url"] + API[system].path.format(streams(sim.world, system)[0])
        token = sim.manifest[system]["token"]
        other = sim.manifest["fraud" if system == "cases" else "cases"]["token"]
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": f"Basic {token}"},
            {"Authorization": f"Bearer {other}"},  # another system's token
        ):
            response = httpx.get(url, headers=headers)
            assert response.status_code == 401, (system, headers)
            assert response.headers["www-authenticate"].startswith("Bearer")
            status, message = API[system].error(response.json())
            assert status in (401, None) and message
        unknown = httpx.get(sim.manifest[system]["url"] + "/nowhere")  # no token: 401 first
        assert unknown.status_code == 401


def test_paging_returns_every_visible_row_once_in_order(sim: Sim) -> None:
    now = sim.clock()
    for system in SYSTEMS:
        for stream in streams(sim.world, system):
            want = expected(sim.world, system, stream, now)
            pages = sim.pages(system, stream)  # default page size: 500
            assert [row for page in pages for row in page] == want, (system, stream)
            for limit in (1, 7, 50, 5000):  # 5000 is clamped to 2000
                if limit == 1 and len(want) > 40:
                    continue
                pages = sim.pages(system, stream, limit=limit)
                assert ids([row for page in pages for row in page]) == ids(want), (stream, limit)
                sizes = [len(page) for page in pages]
                # full pages, the last one short or exactly full, nothing empty unless no rows
                assert all(size == min(limit, 2000) for size in sizes[:-1])
                assert 0 < sizes[-1] <= limit or want == []


def test_the_next_cursor_is_null_exactly_when_nothing_more_is_visible(sim: Sim) -> None:
    now = sim.clock()
    want = expected(sim.world, "fraud", "transfers", now)
    rows, cursor = sim.page("fraud", "transfers", limit=len(want))
    assert len(rows) == len(want) and cursor is None  # though later rows exist
    rows, cursor = sim.page("fraud", "transfers", limit=len(want) - 1)
    assert cursor is not None
    last, cursor = sim.page("fraud", "transfers", cursor=cursor)
    assert ids(last) == ids(want)[-1:] and cursor is None
    _, first = sim.page("fraud", "transfers", limit=1)
    assert first is not None  # opaque, but as the protocol says: base64url of [updated_at, id]
    assert json.loads(base64.urlsafe_b64decode(first)) == [want[0]["updated_at"], want[0]["jylsh"]]


def test_updated_since_is_inclusive_and_iso_8601(sim: Sim) -> None:
    now = sim.clock()
    for system in SYSTEMS:
        rows = {s: expected(sim.world, system, s, now) for s in streams(sim.world, system)}
        stream = max(rows, key=lambda s: len(rows[s]))
        want = rows[stream]
        pivot = want[len(want) // 2]["updated_at"]
        at = datetime.strptime(pivot, "%Y-%m-%d %H:%M:%S")
        utc = (at - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
        newer = [row for row in want if row["updated_at"] >= pivot]
        assert newer[0]["updated_at"] == pivot
        for since in (pivot, at.isoformat(), at.isoformat() + "+08:00", utc):
            for limit in (None, 3):
                pages = sim.pages(system, stream, since=since, limit=limit)
                assert [row for page in pages for row in page] == newer, (system, since)
        day = at.date().isoformat()  # a date alone: that day's midnight, Beijing
        got = [row for page in sim.pages(system, stream, since=day) for row in page]
        assert got == [row for row in want if row["updated_at"] >= day]


def test_bad_parameters_unknown_streams_and_methods_in_the_system_shape(sim: Sim) -> None:
    not_json = base64.urlsafe_b64encode(b"hello").decode()
    not_a_pair = base64.urlsafe_b64encode(b'{"a": 1}').decode()
    for system in SYSTEMS:
        stream = streams(sim.world, system)[0]
        for params, status in (
            ({"since": "yesterday"}, 400),
            ({"since": "2026-13-01"}, 400),
            ({"cursor": "%%%"}, 400),
            ({"cursor": not_json}, 400),
            ({"cursor": not_a_pair}, 400),
            ({"limit": "many"}, 400),
            ({"limit": 0}, 400),
        ):
            response = sim.get(system, stream, **params)
            assert response.status_code == status, (system, params, response.text)
            code, message = API[system].error(response.json())
            assert code in (status, None) and message
        for response in (
            sim.get(system, "no_such_stream"),
            sim.clients[system].get("/elsewhere"),
        ):
            assert response.status_code == 404
            assert API[system].error(response.json())[0] in (404, None)
        posted = sim.clients[system].post(API[system].path.format(stream))
        assert posted.status_code == 405
        assert API[system].error(posted.json())[0] in (405, None)


def test_the_cursor_survives_the_clock_and_then_reaches_the_new_rows(sim: Sim) -> None:
    before = sim.clock()
    every = {
        (system, stream): expected(sim.world, system, stream, datetime.max)
        for system in SYSTEMS
        for stream in streams(sim.world, system)
    }
    cut = f"{before:%Y-%m-%d %H:%M:%S}"
    hidden = {key: [r for r in rows if r["updated_at"] > cut] for key, rows in every.items()}
    (system, stream), later = max(hidden.items(), key=lambda item: len(item[1]))
    assert len(later) >= 2, "the start clock should leave rows hidden"
    visible = expected(sim.world, system, stream, before)
    first, cursor = sim.page(system, stream, limit=max(1, len(visible) - 2))
    assert cursor is not None
    target = datetime.strptime(later[1]["updated_at"], "%Y-%m-%d %H:%M:%S")  # two new rows
    moved = sim.control.post("/clock", json={"now": target.isoformat()})
    assert moved.status_code == 200 and moved.json()["clock"] == target.isoformat() + "+08:00"
    rest: Rows = []
    while cursor is not None:
        rows, cursor = sim.page(system, stream, cursor=cursor, limit=1)
        rest.extend(rows)
    assert first + rest == expected(sim.world, system, stream, target)
    assert set(ids(later[:2])) <= set(ids(rest))


def test_429_carries_retry_after_in_each_system(sim: Sim) -> None:
    before = sim.status()["faults"]
    for system in SYSTEMS:
        stream = streams(sim.world, system)[0]
        try:
            sim.set_faults(system, {"rate_429": 1, "retry_after": 4})
            response = sim.get(system, stream)
            assert response.status_code == 429
            assert response.headers["retry-after"] == "4"
            assert API[system].error(response.json())[0] in (429, None)
            sim.set_faults(system, {"rate_429": 0.5})  # seeded dice: some of each
            statuses = {sim.get(system, stream).status_code for _ in range(30)}
            assert statuses == {200, 429}
        finally:
            sim.set_faults(system, before[system])
        assert sim.get(system, stream).status_code == 200


def test_5xx_bodies_are_in_the_system_shape(sim: Sim) -> None:
    before = sim.status()["faults"]
    for system in SYSTEMS:
        stream = streams(sim.world, system)[0]
        try:
            sim.set_faults(system, {"rate_5xx": 1})
            seen = set()
            for _ in range(12):
                response = sim.get(system, stream)
                seen.add(response.status_code)
                code, message = API[system].error(response.json())
                assert code in (response.status_code, None) and message
            assert seen <= {500, 502, 503} and len(seen) > 1
        finally:
            sim.set_faults(system, before[system])


def test_slow_answers_and_timeouts(sim: Sim) -> None:
    before = sim.status()["faults"]["cases"]
    try:
        sim.set_faults("cases", {"rate_slow": 1, "slow_seconds": 0.4})
        started = time.perf_counter()
        rows, _ = sim.page("cases", "units")
        assert time.perf_counter() - started >= 0.4 and rows
        sim.set_faults("cases", {"rate_timeout": 1, "timeout_seconds": 1.5})
        with pytest.raises(httpx.ReadTimeout):
            sim.clients["cases"].get("/api/v1/units", timeout=0.3)
    finally:
        sim.set_faults("cases", before)
    assert sim.status()["requests"]["cases"]["timeout"] >= 1


def test_malformed_rows_are_served_as_stored(sim: Sim) -> None:
    now = sim.clock()
    links = pl.read_parquet(sim.world / "truth" / "record_links.parquet").filter(
        pl.col("malformed") & pl.col("source").is_in(SYSTEMS)
    )
    checked = 0
    for link in links.iter_rows(named=True):
        rows = expected(sim.world, link["source"], link["stream"], now)
        want = dict(zip(ids(rows), rows, strict=True))
        if link["record_id"] not in want:
            continue  # not visible yet
        served = [row for page in sim.pages(link["source"], link["stream"]) for row in page]
        row = next(r for r in served if next(iter(r.values())) == link["record_id"])
        assert row == want[link["record_id"]]
        kind, _, column = link["malformed_reason"].partition(":")
        if kind == "bad_date":
            assert isinstance(row[column], str)  # the unparseable text itself
            with pytest.raises(ValueError):
                datetime.fromisoformat(row[column])
        else:
            assert row[column] in (None, "")
        checked += 1
    assert checked >= 3


def _snapshot(drop: Path) -> dict[str, tuple[int, int, str]]:
    return {
        str(path.relative_to(drop)): (
            path.stat().st_ino,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(drop.rglob("*"))
        if path.is_file()
    }


def _due(world: Path, day: date) -> set[str]:
    bigdata = world / "sources" / "bigdata"
    return {
        str(path.relative_to(bigdata))
        for path in bigdata.glob("*/*.*")
        if date.fromisoformat(path.name.split(".")[0]) <= day
    }


def test_the_drop_folder_gains_files_as_the_clock_moves_and_never_rewrites(sim: Sim) -> None:
    drop = Path(sim.manifest["bigdata"]["drop"])
    assert drop == sim.world / "drop"
    now = sim.clock()
    before = _snapshot(drop)
    assert set(before) == _due(sim.world, now.date())  # nothing early, no temporary files
    tampered = drop / sorted(before)[0]
    tampered.write_bytes(tampered.read_bytes() + b"\n")  # a consumer touched it
    before = _snapshot(drop)
    moved = sim.control.post("/clock", json={"advance_hours": 48})
    assert moved.status_code == 200
    after = _snapshot(drop)
    assert set(after) == _due(sim.world, (now + timedelta(hours=48)).date())
    new = set(after) - set(before)
    assert len(new) == 2 * len({name.split("/")[0] for name in before})  # two days per feed
    assert {name: after[name] for name in before} == before  # untouched, tampered one too
    for name in new:
        source = sim.world / "sources" / "bigdata" / name
        assert (drop / name).read_bytes() == source.read_bytes()
    status = sim.status()["bigdata"]
    assert sum(status["dropped"].values()) == len(after)


def test_status_reports_clock_faults_and_visible_rows(sim: Sim) -> None:
    first = sim.first_status
    assert first["clock"] == START + "+08:00"
    assert first["faults"]["fugitives"]["rate_slow"] == 0.5
    assert first["faults"]["fugitives"]["slow_seconds"] == 0.01
    assert first["faults"]["fugitives"]["retry_after"] == 3
    assert first["faults"]["cases"]["rate_429"] == 0
    assert first["faults"]["cases"]["timeout_seconds"] == 30
    status = sim.status()
    now = sim.clock()
    for system in SYSTEMS:
        visible = {s: len(expected(sim.world, system, s, now)) for s in streams(sim.world, system)}
        assert status["visible"][system] == visible
        assert status["total"][system] == {
            s: len(expected(sim.world, system, s, datetime.max)) for s in streams(sim.world, system)
        }
    assert status["bigdata"]["drop"] == str(sim.world / "drop")


def test_the_control_server_refuses_bad_requests(sim: Sim) -> None:
    now = sim.clock()
    earlier = (now - timedelta(minutes=1)).isoformat()
    for body in ({"now": earlier}, {"advance_hours": -1}, {"now": "soon"}, {}, {"later": 1}):
        response = sim.control.post("/clock", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert sim.clock() == now
    assert sim.control.post("/clock", json={"now": now.isoformat()}).status_code == 200
    assert sim.control.post("/faults/police", json={}).status_code == 404
    for faults in ({"rate_429": 2}, {"rate_429": 0.6, "rate_5xx": 0.6}, {"rate_lag": 0.1}):
        assert sim.control.post("/faults/cases", json=faults).status_code == 400, faults
    assert sim.control.get("/nothing").status_code == 404


def test_the_control_server_answers_loopback_clients_only(world: Path, tmp_path: Path) -> None:
    app = control_app(Simulation(world, tmp_path / "drop"))

    async def ask(client: tuple[str, int]) -> int:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
            return (await http.get("/status")).status_code

    assert asyncio.run(ask(("192.0.2.7", 50000))) == 403
    assert asyncio.run(ask(("10.0.0.1", 50000))) == 403
    assert asyncio.run(ask(("127.0.0.1", 50000))) == 200
    assert asyncio.run(ask(("::1", 50000))) == 200
