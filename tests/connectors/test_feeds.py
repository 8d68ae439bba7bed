"""Reading a feed's file: rows too large are left out without being held whole."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from connectors import feeds


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_rows_over_the_limit_are_left_out_wherever_the_chunks_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(feeds, "CHUNK", chunk)
    rng = random.Random(chunk)
    for trial in range(50):
        limit = rng.choice([10, 50, 200])
        lines = [b"h" * rng.randint(1, limit - 2)]
        for _ in range(rng.randint(0, 40)):
            size = rng.choice([rng.randint(0, limit - 1), rng.randint(limit, 3 * limit)])
            lines.append(b"x" * size)
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        path = tmp_path / f"{trial}.csv"
        path.write_bytes(data)
        kept, oversized, row = b"", [], -1
        parts = data.split(b"\n")
        for i, part in enumerate(parts):
            piece = part + (b"\n" if i < len(parts) - 1 else b"")
            if piece:
                if len(piece) > limit:
                    oversized.append((row, len(piece)))
                else:
                    kept += piece
                row += 1
        got, left_out = feeds._lines(path, limit)
        assert got == kept
        assert [(r, size) for r, size, _ in left_out] == oversized
        assert all(len(head) <= max(limit, feeds.EXCERPT) for _, _, head in left_out)
