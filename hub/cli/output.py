"""The consoles the CLI writes to: `out` for a command's answer (stdout), `err` for its
progress and errors (stderr).

In a terminal they are as wide as it is. In a log or a pipe they are as wide as COLUMNS
says or, without it, as wide as what they print: a line is not broken, nor a path or a
table's cell cut, at rich's 80 columns (`hub config > settings.txt` shows every value
whole; a log has a sentence on one line).
"""

from __future__ import annotations

import os

from rich.console import Console

WIDE = 10_000  # columns of a log or a pipe when COLUMNS does not say: no limit


def console(stderr: bool = False) -> Console:
    shown = Console(stderr=stderr, highlight=False, emoji=False)
    if shown.is_terminal or "COLUMNS" in os.environ:
        return shown
    return Console(stderr=stderr, highlight=False, emoji=False, width=WIDE)


out = console()
err = console(stderr=True)
