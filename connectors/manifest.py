"""A file feed's manifest: every file it has seen in its folder, and what became of it.

A file is known by its name in the feed's folder. One whose size and modification time
are those the manifest recorded is not read again; otherwise its checksum (sha256) says
whether it is new, the same bytes again, or changed. So a file is loaded once whatever
its name and whenever it arrives, and a file that changes is noticed. The entries live
in the graph as SourceFile nodes (`connectors.state`).

Outcomes: `loaded` (its rows are in the graph, bad rows quarantined one by one),
`quarantined` (the file as a whole could not be loaded; read again once it changes) and
`held` (dated in the future: checked again at every sync).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from connectors.mapping import StreamMap

LOADED, QUARANTINED, HELD = "loaded", "quarantined", "held"


@dataclass(frozen=True)
class Entry:
    """What the manifest holds of one file."""

    feed: str
    name: str
    size: int
    mtime_ns: int
    checksum: str
    outcome: str
    loaded_checksum: str | None = None  # the version whose rows are in the graph
    reason: str | None = None
    encoding: str | None = None
    rows: int | None = None
    written: int | None = None
    quarantined: int | None = None


Manifest = dict[str, dict[str, Entry]]  # feed -> file name -> entry


@dataclass(frozen=True)
class Arrival:
    """A file of a feed's folder that has to be read: new, changed, or held before."""

    stream: StreamMap
    path: Path
    size: int
    mtime_ns: int
    checksum: str
    before: Entry | None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def day(self) -> date | None:
        """The day the file's name gives, when it matches the feed's pattern."""
        return day(self.stream, self.name)

    @property
    def changed(self) -> bool:
        """Another version of the file was loaded before."""
        return self.before is not None and self.before.loaded_checksum not in (None, self.checksum)

    def entry(self, outcome: str, **fields: object) -> Entry:
        loaded = self.before.loaded_checksum if self.before else None
        base = Entry(
            self.stream.name,
            self.name,
            self.size,
            self.mtime_ns,
            self.checksum,
            outcome,
            self.checksum if outcome == LOADED else loaded,
        )
        return replace(base, **fields)  # type: ignore[arg-type]


def pattern(stream: StreamMap) -> re.Pattern[str]:
    """The feed's file names: `files` with {day} as YYYY-MM-DD."""
    before, after = (stream.files or "{day}").split("{day}")
    return re.compile(f"^{re.escape(before)}(\\d{{4}}-\\d{{2}}-\\d{{2}}){re.escape(after)}$")


def day(stream: StreamMap, name: str) -> date | None:
    matched = pattern(stream).match(name)
    if matched is None:
        return None
    try:
        return date.fromisoformat(matched[1])
    except ValueError:
        return None


def inventory(folder: Path) -> list[Path]:
    """Every file in the folder but hidden ones (a copy still being written is hidden)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def triage(
    stream: StreamMap, folder: Path, entries: dict[str, Entry], full: bool
) -> tuple[list[Arrival], list[Entry]]:
    """The files of the feed's folder to read, and the entries to record without reading
    anything (the same bytes touched or copied again, a changed file put back as it was
    loaded). With `full` every file is read."""
    arrivals: list[Arrival] = []
    updates: list[Entry] = []
    for path in inventory(folder):
        stat = path.stat()
        before = entries.get(path.name)
        if (
            not full
            and before is not None
            and before.outcome != HELD
            and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        ):
            continue
        summed = checksum(path)
        if not full and before is not None and before.outcome != HELD:
            if summed == before.checksum:
                updates.append(replace(before, size=stat.st_size, mtime_ns=stat.st_mtime_ns))
                continue
            if summed == before.loaded_checksum:
                updates.append(
                    replace(
                        before,
                        size=stat.st_size,
                        mtime_ns=stat.st_mtime_ns,
                        checksum=summed,
                        outcome=LOADED,
                        reason=None,
                    )
                )
                continue
        arrivals.append(Arrival(stream, path, stat.st_size, stat.st_mtime_ns, summed, before))
    return arrivals, updates


def migrated(stream: StreamMap, folder: Path, cursor: str) -> list[Entry]:
    """Entries for the files a feed loaded before it kept a manifest: those named up to
    its old cursor (the name of the last file loaded), in name order."""
    out = []
    for path in inventory(folder):
        if path.name > cursor:
            continue
        stat = path.stat()
        summed = checksum(path)
        out.append(
            Entry(
                stream.name,
                path.name,
                stat.st_size,
                stat.st_mtime_ns,
                summed,
                LOADED,
                summed,
                reason=f"loaded before the feed kept a manifest (its cursor was {cursor})",
            )
        )
    return out
