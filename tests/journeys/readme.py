"""The README's command blocks, in order, each with the answer printed under it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    code: str
    answer: str | None  # the ```json block that follows it, if one does
    line: int  # where it starts in the README


def blocks(text: str | None = None) -> list[Block]:
    """Every ```bash block; a ```json block belongs to the command block before it."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found: list[Block] = []
    for fence in FENCE.finditer(text):
        language, body = fence.group(1), fence.group(2)
        if language == "bash":
            found.append(Block(body, None, text.count("\n", 0, fence.start()) + 1))
        elif language == "json" and found and found[-1].answer is None:
            found[-1] = Block(found[-1].code, body, found[-1].line)
    return found
