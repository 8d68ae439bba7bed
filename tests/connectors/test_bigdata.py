"""The big-data connector: daily files from the drop folder, checked against the truth."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from neo4j import Driver

import connectors
from connectors import state
from connectors.bigdata import BigData
from connectors.feeds import FeedError, read_file
from connectors.mapping import HERE, load
from connectors.sync import StreamReport, sync_files, write_step
from hub import normalise
from hub.errors import SchemaError
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings
from tests import snapshot as snapshots
from tests.conftest import wipe
from tests.connectors.simulator import running
from tests.snapshot import Snapshot, differences

FEEDS = ("hotel", "netcafe", "rail", "checkpoint", "cdr")
BEIJING = timedelta(hours=8)


@pytest.fixture(scope="module")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=1500, seed=3, noise="hard")


def drop_all(world: Path, drop: Path) -> Path:
    """A drop folder holding every daily file of the world."""
    for feed in FEEDS:
        shutil.copytree(world / "sources" / "bigdata" / feed, drop / feed)
    return drop


def sync(driver: Driver, drop: Path, step_rows: int = 5000) -> list[StreamReport]:
    loader = Loader(driver, batch_size=5000)
    return asyncio.run(sync_files(BigData(drop, step_rows=step_rows), loader))


def snapshot(driver: Driver) -> Snapshot:
    return snapshots.snapshot(driver, volatile={"fetched_at"})


@dataclass
class Full:
    """One sync of every file into an empty graph."""

    reports: dict[str, StreamReport]
    snapshot: Snapshot
    seconds: float


@pytest.fixture(scope="module")
def full(driver: Driver, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Full]:
    """The graph after one sync of every file. The tests that read it come before those
    that take `graph` (which empties it) in this file, and so run first."""
    wipe(driver)
    migrate(driver)
    began = datetime.now(UTC)
    reports = sync(driver, drop_all(world, tmp_path_factory.mktemp("drop")))
    seconds = (datetime.now(UTC) - began).total_seconds()
    yield Full({r.stream: r for r in reports}, snapshot(driver), seconds)


# -- what the files and the truth say, computed here without the connector -------------


def truth(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / "record_links.parquet").filter(
        pl.col("source") == "bigdata"
    )


def malformed(world: Path) -> pl.DataFrame:
    return truth(world).filter(pl.col("malformed"))


def feed_rows(world: Path, feed: str) -> pl.DataFrame:
    """Every row of a feed but the malformed ones."""
    files = sorted((world / "sources" / "bigdata" / feed).iterdir())
    frames = [
        pl.read_parquet(f) if f.suffix == ".parquet" else pl.read_csv(f, infer_schema=False)
        for f in files
    ]
    bad = malformed(world).filter(pl.col("stream") == feed).get_column("record_id").to_list()
    return pl.concat(frames).filter(~pl.col(frames[0].columns[0]).is_in(bad))


def utc(text: pl.Expr, fmt: str) -> pl.Expr:
    local = text.str.strptime(pl.Datetime("us"), fmt)
    return (local - BEIJING).dt.replace_time_zone("UTC")


def uid(id_col: str, feed: str, record_col: str) -> pl.Expr:
    def one(row: dict[str, Any]) -> str:
        checked = normalise.normalise("resident_id", row[id_col])
        if isinstance(checked, normalise.Valid):
            return "P" + checked.value
        return f"R:bigdata:{feed}:{row[record_col]}"

    return pl.struct(id_col, record_col).map_elements(one, return_dtype=pl.String)


def expected_calls(world: Path) -> pl.DataFrame:
    """CALLED per pair from the CDR files, the parties' numbers taken from the truth; a
    call the truth marks as a copy of another sound one counts once."""
    cdr = truth(world).filter(pl.col("stream") == "cdr", ~pl.col("malformed"))
    parties = cdr.filter(
        ~pl.col("duplicate_of").is_in(cdr["record_id"].implode()).fill_null(False)
    ).select("record_id", "phone", "cp_phone")
    return (
        feed_rows(world, "cdr")
        .join(parties, left_on="cdr_id", right_on="record_id")
        .group_by(start="phone", end="cp_phone")
        .agg(
            count=pl.len().cast(pl.Int64),
            seconds=pl.col("duration_s").cast(pl.Int64).sum(),
            first_at=utc(pl.col("start_time"), "%Y%m%d%H%M%S").min(),
            last_at=utc(pl.col("start_time"), "%Y%m%d%H%M%S").max(),
        )
    )


def count(driver: Driver, query: str, **params: Any) -> int:
    records, _, _ = driver.execute_query(query, params)
    return int(records[0][0])


# -- the mapping ------------------------------------------------------------------------


def test_the_mapping_declares_every_feed() -> None:
    mapping = load(HERE / "bigdata.yaml")
    assert mapping.source == "bigdata"
    assert tuple(mapping.streams) == FEEDS
    assert all(s.is_file_feed for s in mapping.streams.values())
    (called,) = mapping.streams["cdr"].relationships
    assert called.aggregated and not mapping.streams["cdr"].records
    assert "bigdata" in connectors.names()


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("label: Vehicle", "label: Car", "label: Car", "unknown node label 'Car'"),
        ("set: {colour: csys}", "set: {colour: colour}", "{colour: colour}",
         "stream 'checkpoint': column 'colour' is not one of its files' columns"),
        ("{checkin: rzsj,", "{checkin: rzsj_,", "rzsj_", "column 'rzsj_' is not one of"),
        ("sum(duration_s)", "avg(duration_s)", "- type: CALLED", "'avg.*is not count, sum"),
        ("format: parquet", "format: xlsx", 'files: "{day}.parquet"', "format 'xlsx' is not one of"),
        ('files: "{day}.csv"', 'files: "*.csv"', 'files: "*.csv"', "names the files with one {day}"),
        ("    changed: reload", "    changed: ignore", 'files: "{day}.parquet"', "'changed' is one of"),
    ],
)  # fmt: skip
def test_a_bad_mapping_names_its_line(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    """`where` is on the line of the mapping the error is about: the node, the
    relationship or the stream."""
    text = (HERE / "bigdata.yaml").read_text(encoding="utf-8")
    assert old in text
    bad = text.replace(old, new, 1)
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if where in text)
    path = tmp_path / "bigdata.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(SchemaError, match=f"^bigdata.yaml:{line}: .*{message}"):
        load(path)


def test_a_file_without_a_declared_column_is_refused_naming_it(tmp_path: Path) -> None:
    stream = load(HERE / "bigdata.yaml").streams["cdr"]
    path = tmp_path / "2026-09-02.csv"
    path.write_text("cdr_id,calling,called,start_time\nC1,13800138000,13900139000,x\n")
    with pytest.raises(FeedError, match=r"^it has no column duration_s$"):
        read_file(stream, path, "bigdata", 65536)


# -- a full sync against the files and the truth -----------------------------------------


def test_called_edges_are_the_calls_aggregated_per_pair(
    driver: Driver, full: Full, world: Path
) -> None:
    calls = expected_calls(world)
    assert count(driver, "MATCH ()-[r:CALLED]->() RETURN count(r)") == calls.height
    busiest = calls.sort("count", "start", "end", descending=True).head(50)
    sample = pl.concat([busiest, calls.sort("start", "end").gather_every(97)]).unique()
    records, _, _ = driver.execute_query(
        "UNWIND $pairs AS p MATCH (:Phone {number: p.start})-[r:CALLED]->(:Phone {number: p.end}) "
        "RETURN p.start AS start, p.end AS end, r.count AS count, r.seconds AS seconds, "
        "r.first_at AS first_at, r.last_at AS last_at, r.first_seen AS first_seen, "
        "r.last_seen AS last_seen",
        pairs=sample.select("start", "end").to_dicts(),
    )
    found = {(r["start"], r["end"]): r for r in records}
    assert len(found) == sample.height
    for want in sample.iter_rows(named=True):
        got = found[want["start"], want["end"]]
        assert (got["count"], got["seconds"]) == (want["count"], want["seconds"])
        assert got["first_at"].to_native() == got["first_seen"].to_native() == want["first_at"]
        assert got["last_at"].to_native() == got["last_seen"].to_native() == want["last_at"]
    assert full.reports["cdr"].written == feed_rows(world, "cdr").height


def test_stays_passes_and_journeys_are_one_edge_per_valid_row(
    driver: Driver, full: Full, world: Path
) -> None:
    hotel = feed_rows(world, "hotel").select(
        uid("zjhm", "hotel", "lsh"),
        place="hotel:" + pl.col("lgdm"),
        at=utc(pl.col("rzsj"), "%Y%m%d%H%M"),
    )
    netcafe = feed_rows(world, "netcafe").select(
        uid("zjhm", "netcafe", "sjxh"),
        place="internet_cafe:" + pl.col("csdm"),
        at=utc(pl.col("sjsj"), "%Y-%m-%d %H:%M:%S"),
    )
    stays = pl.concat([hotel, netcafe])
    # Two rows of one person, place and check-in (a record sent twice) are one stay.
    assert count(driver, "MATCH ()-[r:STAYED_AT]->() RETURN count(r)") == stays.unique().height
    assert stays.unique().height > 0.98 * stays.height
    plates = feed_rows(world, "checkpoint").select(
        pl.col("hphm").map_elements(
            lambda p: normalise.normalise("plate", p).value,  # type: ignore[union-attr]
            return_dtype=pl.String,
        ),
        "kkbh",
        "gcsj",
    )
    assert count(driver, "MATCH ()-[r:PASSED]->() RETURN count(r)") == plates.unique().height
    rail = feed_rows(world, "rail").select(
        uid("cert_no", "rail", "ticket_id"), "from_station", "depart"
    )
    assert count(driver, "MATCH ()-[r:TRAVELLED]->() RETURN count(r)") == rail.unique().height
    assert (
        count(
            driver,
            "MATCH (:Person)-[r:TRAVELLED]->(p:Place {kind: 'station'}) "
            "WHERE p.place_id = 'station:' + p.name AND r.train_no IS NOT NULL RETURN count(r)",
        )
        == rail.unique().height
    )
    for feed in ("hotel", "netcafe", "rail", "checkpoint"):
        loaded = feed_rows(world, feed).height
        assert full.reports[feed].written == loaded
        assert (
            count(driver, "MATCH (r:Record {stream: $feed})-[:RECORD_OF]->() "
                  "RETURN count(DISTINCT r)", feed=feed)
            == loaded
        )  # fmt: skip
    assert count(driver, "MATCH (r:Record {stream: 'cdr'}) RETURN count(r)") == 0
    assert count(driver, "MATCH (p:Place {place_id: 'hotel:4116230002', kind: 'hotel'}) "
                 "WHERE p.name IS NOT NULL RETURN count(p)") == 1  # fmt: skip


def test_bad_rows_are_quarantined_and_the_rest_loads(
    driver: Driver, full: Full, world: Path
) -> None:
    expected = {
        f"bigdata:{r['stream']}:{r['record_id']}" for r in malformed(world).iter_rows(named=True)
    }
    held, _, _ = driver.execute_query(
        "MATCH (q:Quarantine {source: 'bigdata'}) "
        "RETURN q.quarantine_id AS id, q.reason AS reason, q.raw AS raw, q.stream AS stream"
    )
    assert {r["id"] for r in held} == expected
    assert all(r["reason"] and r["raw"].startswith("{") for r in held)
    assert sum(r.quarantined for r in full.reports.values()) == len(expected)


# -- incremental, interrupted and repeated syncs ------------------------------------------


def test_syncs_as_files_arrive_end_like_one_sync_and_an_idle_one_records_only_its_run(
    graph: Driver, full: Full, world: Path, tmp_path: Path, settings: Settings
) -> None:
    copy = tmp_path / "world"
    shutil.copytree(world / "sources", copy / "sources")
    with running(copy, "--start-at", "2026-10-01T00:00:00") as sim:
        made = connectors.build(
            "bigdata", dataclasses.replace(settings, sources_file=sim.sources_file)
        )
        assert isinstance(made, BigData) and made.drop == Path(sim.status()["bigdata"]["drop"])
        loader = Loader(graph, batch_size=5000)
        first = asyncio.run(sync_files(made, loader))
        seen = state.load_manifest(graph, "bigdata", list(FEEDS))
        for feed in FEEDS:  # every file dropped so far, loaded, and only those
            dropped = sorted(p.name for p in (made.drop / feed).iterdir())
            assert sorted(seen[feed]) == dropped and dropped[-1] <= "2026-10-01.parquet"
            assert {e.outcome for e in seen[feed].values()} == {"loaded"}
        sim.post("/clock", {"advance_hours": 24 * 60})
        second = asyncio.run(sync_files(made, loader))
    assert differences(full.snapshot, snapshot(graph)) == []
    for one, two in zip(first, second, strict=True):  # each row read once
        assert 0 < one.fetched < one.fetched + two.fetched == full.reports[one.stream].fetched
    bookkeeping = (
        "MATCH (s:SyncState) RETURN s.stream_id AS id, s.cursor AS mark, null AS at "
        "UNION ALL MATCH (f:SourceFile) RETURN f.file_id AS id, f.checksum AS mark, "
        "f.loaded_at AS at"
    )
    runs = "MATCH (s:SyncState) RETURN s.stream_id AS id, s.last_run AS at"
    marks, _, _ = graph.execute_query(bookkeeping)
    ran = {r["id"]: r["at"] for r in graph.execute_query(runs).records}
    idle = asyncio.run(sync_files(made, loader))
    assert [(r.fetched, r.written, r.quarantined) for r in idle] == [(0, 0, 0)] * len(FEEDS)
    again, _, _ = graph.execute_query(bookkeeping)
    assert sorted(map(tuple, again)) == sorted(map(tuple, marks))
    # the idle sync looked at every feed: each records that run, so none looks stale
    now = {r["id"]: r["at"] for r in graph.execute_query(runs).records}
    assert set(now) == set(ran) == {f"bigdata/{feed}" for feed in FEEDS}
    assert all(now[feed] > ran[feed] for feed in ran)
    assert differences(full.snapshot, snapshot(graph)) == []


def test_a_sync_stopped_midway_and_run_again_ends_like_one_sync(
    graph: Driver, full: Full, world: Path, tmp_path: Path
) -> None:
    drop = drop_all(world, tmp_path / "drop")
    made = BigData(drop, step_rows=2500)
    loader = Loader(graph, batch_size=5000)
    steps = list(made.steps({}, loader.graph, datetime.now(UTC)))
    assert len(steps) > 3
    write_step(loader, steps[0])
    state.record_files(graph, "bigdata", steps[0].files)
    # Killed while writing the next step, and while writing the call totals: part of
    # their rows are in the graph, their cursors are not.
    for step in (steps[1], steps[-1]):
        step.relationships = {k: f.head(f.height // 2) for k, f in step.relationships.items()}
        step.quarantine = None
        write_step(loader, step)
    assert count(graph, "MATCH ()-[r:CALLED]->() RETURN count(r)") < expected_calls(world).height
    reports = sync(graph, drop, step_rows=1000)
    assert sum(r.fetched for r in reports) < sum(r.fetched for r in full.reports.values())
    assert differences(full.snapshot, snapshot(graph)) == []


def test_a_days_call_totals_come_from_the_facts_kept_of_the_files_loaded_before(
    graph: Driver, full: Full, world: Path, tmp_path: Path
) -> None:
    """With the facts of the files it loaded kept (`connectors.facts`), a sync of more
    days of calls reads none of the files loaded before (taken out of the drop folder,
    they are not missed) and the graph is the one a single sync makes. A kept fact file
    that is damaged or gone is made again from its file; with the file gone too, the new
    files wait, and the sync says which file it needs."""
    drop = drop_all(world, tmp_path / "drop")
    cdr, later, loaded = drop / "cdr", tmp_path / "later", tmp_path / "loaded"
    later.mkdir()
    names = sorted(p.name for p in cdr.iterdir())
    half, last = len(names) // 2, len(names) - 3
    for name in names[half:]:
        (cdr / name).rename(later / name)
    made = BigData(drop, step_rows=100, facts=tmp_path / "facts")  # totals in parts
    loader = Loader(graph, batch_size=5000)

    def calls() -> StreamReport:
        (report,) = [r for r in asyncio.run(sync_files(made, loader)) if r.stream == "cdr"]
        return report

    calls()
    cdr.rename(loaded)
    cdr.mkdir()
    for name in names[half:last]:
        (later / name).rename(cdr / name)
    second = calls()
    assert second.failures == [] and second.fetched > 0
    kept = sorted((tmp_path / "facts" / "cdr").iterdir())
    assert len(kept) == last
    kept[0].write_bytes(b"not parquet")
    kept[1].unlink()
    for name in names[last:]:
        (later / name).rename(cdr / name)
    (waiting,) = calls().failures
    assert waiting.what == str(cdr / names[0]) and "put the file back" in waiting.todo
    for path in loaded.iterdir():
        path.rename(cdr / path.name)
    assert calls().failures == []
    assert differences(full.snapshot, snapshot(graph)) == []
    assert pl.read_parquet(kept[0]).columns == pl.read_parquet(kept[2]).columns
    assert kept[1].is_file()


# -- files that cannot be loaded, late, changed or from before the manifest ---------------

DAYS = ("2026-09-02", "2026-09-03", "2026-09-04")


def small_drop(world: Path, drop: Path, days: tuple[str, ...] = DAYS) -> Path:
    """A drop folder with the files of a few days of every feed."""
    for feed in FEEDS:
        (drop / feed).mkdir(parents=True, exist_ok=True)
        for path in sorted((world / "sources" / "bigdata" / feed).iterdir()):
            if path.name.split(".")[0] in days:
                shutil.copy(path, drop / feed / path.name)
    return drop


def failures(reports: list[StreamReport]) -> dict[str, str]:
    """File name -> reason, over every feed's report."""
    return {Path(f.what).name: f.reason for r in reports for f in r.failures}


def test_bad_files_are_kept_aside_each_with_its_reason_and_the_rest_loads(
    graph: Driver, world: Path, tmp_path: Path
) -> None:
    drop = small_drop(world, tmp_path / "drop")
    rail = (drop / "rail" / "2026-09-03.csv").read_text(encoding="utf-8")
    (drop / "rail" / "2099-12-31.csv").write_text(rail, encoding="utf-8")
    (drop / "rail" / "export.csv").write_text(rail, encoding="utf-8")
    (drop / "rail" / "2026-09-03.csv").write_bytes(rail.encode("gb18030"))  # decodes
    netcafe = (drop / "netcafe" / "2026-09-03.csv").read_text(encoding="utf-8")
    lines = netcafe.splitlines()
    header = lines[0].split(",")
    cut = header.index("zdh")
    (drop / "netcafe" / "2026-09-05.csv").write_text(
        "\n".join(",".join(c for i, c in enumerate(x.split(",")) if i != cut) for x in lines),
        encoding="utf-8",
    )  # without the terminal column
    (drop / "netcafe" / "2026-09-06.csv").write_text(
        netcafe.replace("2026-09-03 ", "2031-09-03 "), encoding="utf-8"
    )  # rows dated years ahead
    (drop / "cdr" / "2026-09-05.csv").write_bytes(b"")
    hotel = (drop / "hotel" / "2026-09-04.parquet").read_bytes()
    (drop / "hotel" / "2026-09-04.parquet").write_bytes(hotel[: len(hotel) // 2])
    (drop / "rail" / "2026-09-04.csv").write_bytes(
        (drop / "rail" / "2026-09-04.csv").read_bytes()
        + b"X1,"
        + "王".encode() * 40_000
        + b",,,,,2026/09/04 10:00,\n"
    )  # one row of 120 kB
    (drop / "cdr" / "2026-09-06.csv").write_bytes("号码\n".encode("gb18030")[:-2] + b"\xff\xfe\n")

    reports = sync(graph, drop, step_rows=800)

    refused = failures(reports)
    assert set(refused) == {
        "2099-12-31.csv", "export.csv", "2026-09-05.csv", "2026-09-06.csv", "2026-09-04.parquet",
    }  # fmt: skip
    assert "named after 2099-12-31" in refused["2099-12-31.csv"]
    assert "does not match {day}.csv" in refused["export.csv"]
    assert "not a readable Parquet file" in refused["2026-09-04.parquet"]
    by_feed = {r.stream: {Path(f.what).name: f for f in r.failures} for r in reports}
    assert "no column zdh" in by_feed["netcafe"]["2026-09-05.csv"].reason
    assert "dated after" in by_feed["netcafe"]["2026-09-06.csv"].reason
    assert "empty" in by_feed["cdr"]["2026-09-05.csv"].reason
    assert "neither UTF-8 nor GB18030" in by_feed["cdr"]["2026-09-06.csv"].reason
    assert all(f.todo for r in reports for f in r.failures)
    seen = state.load_manifest(graph, "bigdata", list(FEEDS))
    assert seen["rail"]["2099-12-31.csv"].outcome == "held"
    assert seen["netcafe"]["2026-09-06.csv"].outcome == "held"
    assert seen["rail"]["export.csv"].outcome == "quarantined"
    assert seen["rail"]["2026-09-03.csv"].encoding == "gb18030"
    # the GB18030 file's rows are in the graph (or the quarantine) as the UTF-8 ones were
    rows = pl.read_csv(rail.encode(), infer_schema=False)
    kept, _, _ = graph.execute_query(
        "UNWIND $ids AS id OPTIONAL MATCH (r:Record {record_id: 'bigdata:rail:' + id}) "
        "OPTIONAL MATCH (q:Quarantine {quarantine_id: 'bigdata:rail:' + id}) "
        "RETURN id, coalesce(r.raw, q.raw) AS raw",
        ids=rows["ticket_id"].to_list(),
    )
    as_read = {r["id"]: json.loads(r["raw"])["passenger"] for r in kept}
    assert as_read == dict(zip(rows["ticket_id"], rows["passenger"], strict=True))
    assert len(as_read) > 5
    # the oversized row alone is quarantined, with where it is and its start
    (big,) = graph.execute_query(
        "MATCH (q:Quarantine) WHERE q.reason CONTAINS 'HUB_MAX_RECORD_BYTES' RETURN q"
    ).records
    assert big["q"]["quarantine_id"].startswith("bigdata:rail:2026-09-04.csv#")
    assert big["q"]["raw"].startswith("X1,王") and len(big["q"]["raw"]) < 5000
    rail_report = next(r for r in reports if r.stream == "rail")
    assert rail_report.written > 40 and rail_report.quarantined >= 1


def test_a_file_is_loaded_once_whenever_it_arrives_and_whatever_sorts_after_it(
    graph: Driver, world: Path, tmp_path: Path
) -> None:
    """The issue's lost file: a file named after every other and a day that arrives
    late; both load, and a sync with nothing new reads nothing."""
    drop = small_drop(world, tmp_path / "drop", days=("2026-09-02", "2026-09-04"))
    first = sync(graph, drop)
    late = small_drop(world, tmp_path / "late", days=("2026-09-03",))
    for feed in FEEDS:
        for path in (late / feed).iterdir():
            shutil.copy(path, drop / feed / path.name)
    second = sync(graph, drop)
    assert all(r.fetched > 0 for r in second)
    idle = sync(graph, drop)
    assert [(r.fetched, r.written, r.failures) for r in idle] == [(0, 0, [])] * len(FEEDS)
    wipe(graph)
    migrate(graph)
    at_once = sync(graph, small_drop(world, tmp_path / "all"))
    assert [r.fetched for r in at_once] == [
        a.fetched + b.fetched for a, b in zip(first, second, strict=True)
    ]


def test_a_changed_file_is_reported_and_loaded_again_or_quarantined_as_declared(
    graph: Driver, world: Path, tmp_path: Path
) -> None:
    drop = small_drop(world, tmp_path / "drop", days=("2026-09-02",))
    sync(graph, drop)
    path = drop / "rail" / "2026-09-02.csv"
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[1].split(",")[0]
    path.write_text(text + text.splitlines()[1].replace(first, "E9999999999") + "\n")
    (report,) = [r for r in sync(graph, drop) if r.stream == "rail"]
    assert report.notices and "changed after it was loaded" in report.notices[0]
    assert count(graph, "MATCH (r:Record {source_id: 'E9999999999'}) RETURN count(r)") == 1
    loaded = state.load_manifest(graph, "bigdata", ["rail"])["rail"]["2026-09-02.csv"]
    assert loaded.outcome == "loaded" and loaded.loaded_checksum == loaded.checksum

    strict = tmp_path / "strict.yaml"
    strict.write_text(
        (HERE / "bigdata.yaml")
        .read_text(encoding="utf-8")
        .replace("    changed: reload", "    changed: quarantine"),
        encoding="utf-8",
    )

    class Strict(BigData):
        mapping_file = str(strict)  # an absolute path: the shipped folder's is ignored

    path.write_text(text)  # the row taken out again
    loader = Loader(graph, batch_size=5000)
    (report,) = [r for r in asyncio.run(sync_files(Strict(drop), loader)) if r.stream == "rail"]
    (failure,) = report.failures
    assert "changed after it was loaded" in failure.reason
    held = state.load_manifest(graph, "bigdata", ["rail"])["rail"]["2026-09-02.csv"]
    assert held.outcome == "quarantined" and held.loaded_checksum == loaded.checksum
    path.write_text(text + text.splitlines()[1].replace(first, "E9999999999") + "\n")
    sync(graph, drop)  # the loaded version put back: loaded again, nothing read
    back = state.load_manifest(graph, "bigdata", ["rail"])["rail"]["2026-09-02.csv"]
    assert back.outcome == "loaded" and back.checksum == loaded.checksum


def test_a_feed_that_kept_a_cursor_has_the_files_up_to_it_entered_as_loaded(
    graph: Driver, world: Path, tmp_path: Path
) -> None:
    """A data folder from before the manifest: the cursor said which files were loaded."""
    drop = small_drop(world, tmp_path / "drop")
    for feed in FEEDS:
        ext = "parquet" if feed in ("hotel", "checkpoint") else "csv"
        state.save_cursor(graph, "bigdata", feed, f"2026-09-03.{ext}", 0, 0)
    reports = sync(graph, drop)
    seen = state.load_manifest(graph, "bigdata", list(FEEDS))
    for feed, report in zip(FEEDS, reports, strict=True):
        assert sorted(seen[feed]) == sorted(p.name for p in (drop / feed).iterdir())
        migrated = [e for e in seen[feed].values() if e.reason and "cursor" in e.reason]
        assert len(migrated) == 2
        (third,) = (drop / feed).glob("2026-09-04.*")
        rows = (
            pl.read_parquet(third)
            if third.suffix == ".parquet"
            else pl.read_csv(third, infer_schema=False)
        )
        assert report.fetched == rows.height > 0  # the third day alone was read
        assert state.load_cursor(graph, "bigdata", feed) is None
