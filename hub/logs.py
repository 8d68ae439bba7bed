"""The hub's debug log: what a user of the CLI need not see, kept for whoever looks.

Neo4j sends notifications with some answers (on a fresh graph: "the property `cursor`
does not exist"); the driver logs them as warnings of the `neo4j.notifications` logger,
which Python would print on stderr between a command's own lines. They go to
`$HUB_DATA_DIR/logs/hub.log` instead, and to stderr as well with `hub --verbose`.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from hub.settings import Settings

# Loggers whose records belong in the debug log rather than in front of a user.
QUIET = ("neo4j.notifications",)
FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"


def path(settings: Settings) -> Path:
    return settings.data_dir / "logs" / "hub.log"


def configure(settings: Settings, *, verbose: bool = False) -> None:
    """Send the QUIET loggers to the debug log (and to stderr when `verbose`)."""
    log = path(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = [
        RotatingFileHandler(log, maxBytes=5_000_000, backupCount=1, encoding="utf-8", delay=True)
    ]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
    for name in QUIET:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        for old in logger.handlers:
            old.close()
        logger.handlers = list(handlers)
