"""Connectors: one per source system, declared by a class and a mapping file."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.base import Connector, Endpoint, HttpConnector
from connectors.bigdata import BigData, FileConnector
from connectors.cases import Cases
from connectors.fraud import Fraud
from connectors.fugitives import Fugitives
from hub.errors import ConfigError
from hub.settings import Settings

HTTP: dict[str, type[HttpConnector]] = {c.name: c for c in (Cases, Fraud, Fugitives)}
FILES: dict[str, type[FileConnector]] = {BigData.name: BigData}  # sources entry: {"drop": dir}


def names() -> list[str]:
    return [*HTTP, *FILES]


def build(name: str, settings: Settings) -> Connector:
    """The connector `name`, pointed at the source the sources file names."""
    if name not in HTTP and name not in FILES:
        raise ConfigError(f"unknown source {name!r}; known: {', '.join(names())}")
    path = settings.sources_path
    try:
        config = json.loads(path.read_text())[name]
    except FileNotFoundError:
        raise ConfigError(
            f"no sources file at {path}: start `hub simulate` or set HUB_SOURCES"
        ) from None
    except (KeyError, json.JSONDecodeError):
        raise ConfigError(f"{path} has no valid entry for source {name!r}") from None
    try:
        if name in FILES:
            return FILES[name](
                Path(config["drop"]),
                step_rows=settings.batch_size,
                max_record_bytes=settings.max_record_bytes,
            )
        endpoint = Endpoint(config["url"], config["token"])
    except (KeyError, TypeError):
        raise ConfigError(f"{path} has no valid entry for source {name!r}") from None
    return HTTP[name](
        endpoint,
        page_size=settings.sync_page_size,
        max_record_bytes=settings.max_record_bytes,
        step_rows=settings.batch_size,
    )


__all__ = [
    "FILES",
    "HTTP",
    "BigData",
    "Connector",
    "Endpoint",
    "FileConnector",
    "HttpConnector",
    "build",
    "names",
]
