"""The big-data centre's drop folder: daily files appear as the clock reaches their day.

The world holds ``sources/bigdata/<feed>/<YYYY-MM-DD>.<ext>``; each file whose day is on or
before the clock's date is copied to ``<drop>/<feed>/`` under the same name, atomically
(a hidden temporary name in the same folder, then a rename). A file already in the drop
folder is never rewritten, and nothing there is ever deleted.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["DailyFile", "Dropper"]


@dataclass(frozen=True, slots=True)
class DailyFile:
    feed: str
    day: date
    source: Path

    @property
    def name(self) -> str:
        return self.source.name


def _daily_files(bigdata: Path) -> list[DailyFile]:
    found: list[DailyFile] = []
    if not bigdata.is_dir():
        return found
    for folder in sorted(p for p in bigdata.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            try:
                day = date.fromisoformat(path.name.split(".", 1)[0])
            except ValueError:
                continue  # not a daily file
            found.append(DailyFile(folder.name, day, path))
    return sorted(found, key=lambda f: (f.day, f.feed, f.name))


class Dropper:
    """Copies the world's daily big-data files into the drop folder as their day comes."""

    def __init__(self, bigdata: Path, drop: Path) -> None:
        self.drop = drop
        self.files = _daily_files(bigdata)
        self._dropped: set[Path] = set()
        self._lock = threading.Lock()

    @property
    def latest_day(self) -> date | None:
        return self.files[-1].day if self.files else None

    def target(self, file: DailyFile) -> Path:
        return self.drop / file.feed / file.name

    def drop_until(self, day: date) -> list[Path]:
        """Drop every file of a day <= day not dropped yet; the paths that appeared."""
        appeared: list[Path] = []
        with self._lock:
            for file in self.files:
                if file.day > day:
                    break
                target = self.target(file)
                if target in self._dropped:
                    continue
                if not target.exists():
                    _copy_atomically(file.source, target)
                    appeared.append(target)
                self._dropped.add(target)
        return appeared

    def dropped(self) -> dict[str, int]:
        """Files in the drop folder per feed (dropped by this run or already there)."""
        with self._lock:
            counts: dict[str, int] = {}
            for target in self._dropped:
                counts[target.parent.name] = counts.get(target.parent.name, 0) + 1
            return dict(sorted(counts.items()))


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        shutil.copyfile(source, temporary)
        os.rename(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
