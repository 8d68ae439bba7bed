"""The facts of an aggregating feed's files, kept so that a sync does not read again.

A feed that aggregates its rows (call-detail records: one CALLED edge per pair) sets
each pair's totals over every file it loaded, so that a re-run sets the same totals
again. A sync sees the pairs of its new files only; their totals need the facts of
those pairs in every file loaded before. Reading and normalising every file loaded
before at each sync would cost what the feed's whole history costs, however small the
day. So the facts of each file (`feeds.facts`: per aggregated relationship, one row per
valid row with its normalised pair, values, time and file) are kept as Parquet in a
folder of the data folder, `<HUB_DATA_DIR>/facts/<source>/<feed>/`, and a sync reads
just the rows of its pairs from them.

A file's facts are named by its name, its checksum and a digest of what made them (the
feed's mapping, the code that reads and normalises it, the versions of the libraries
that check numbers): the same bytes under the same name, read by the same code, give
the same facts, so a fact file is never stale, only unused. They are written (whole,
then renamed) before the step that loads the file and read only for files the manifest
has as loaded; one that is missing or cannot be read is made again from the file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable
from pathlib import Path

import phonenumbers
import polars as pl
import stdnum

from connectors import feeds
from connectors.feeds import RelKey
from connectors.mapping import StreamMap
from hub import normalise

Facts = dict[RelKey, pl.DataFrame]

# What makes a file's facts besides its bytes and name.
_CODE = hashlib.sha256(
    b"".join(Path(m.__file__ or "").read_bytes() for m in (feeds, normalise))
    + f"{phonenumbers.__version__} {stdnum.__version__}".encode()
).hexdigest()


class Store:
    """The facts of one source's aggregating feeds, kept in `folder` (None: a temporary
    folder of this process's, for a connector made without a data folder)."""

    def __init__(self, folder: Path | None) -> None:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="hub-facts-"))
            weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        self.folder = folder
        self._digests: dict[str, str] = {}

    def keep(self, stream: StreamMap, files: Iterable[tuple[str, str]], made: Facts) -> None:
        """Keep the facts `made` of the files (name, checksum) they came from."""
        per_file = {key: frame.partition_by("_file", as_dict=True) for key, frame in made.items()}
        for name, checksum in files:
            for key, frame in made.items():
                path = self._path(stream, name, checksum, key)
                path.parent.mkdir(parents=True, exist_ok=True)
                part = path.with_suffix(f".{os.getpid()}.part")
                per_file[key].get((name,), frame.head(0)).write_parquet(part)
                os.replace(part, path)

    def missing(
        self, stream: StreamMap, files: Iterable[tuple[str, str]], keys: Iterable[RelKey]
    ) -> list[str]:
        """The names of the files (name, checksum) whose facts are not all kept, or that
        cannot be read (a fact file damaged: it is made again)."""
        out = []
        for name, checksum in files:
            for key in keys:
                path = self._path(stream, name, checksum, key)
                try:
                    pl.read_parquet_schema(path)
                except (OSError, pl.exceptions.PolarsError):
                    out.append(name)
                    break
        return out

    def scan(
        self, stream: StreamMap, files: Iterable[tuple[str, str]], key: RelKey
    ) -> pl.LazyFrame:
        """The kept facts of the files (name, checksum) for the relationship `key`."""
        paths = [self._path(stream, name, checksum, key) for name, checksum in files]
        return pl.scan_parquet(paths)

    def _path(self, stream: StreamMap, name: str, checksum: str, key: RelKey) -> Path:
        digest = self._digests.get(stream.name)
        if digest is None:
            made = f"{_CODE} {stream!r}".encode()
            digest = self._digests[stream.name] = hashlib.sha256(made).hexdigest()[:16]
        rel = "-".join(key)
        return self.folder / stream.name / f"{name}.{checksum[:32]}.{digest}.{rel}.parquet"
