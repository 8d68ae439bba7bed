"""Connectors: one per source system, declared by a class and a mapping file."""

from __future__ import annotations

import json

from connectors.base import Connector, Endpoint, HttpConnector
from connectors.cases import Cases
from connectors.fraud import Fraud
from connectors.fugitives import Fugitives
from hub.errors import ConfigError
from hub.settings import Settings

HTTP: dict[str, type[HttpConnector]] = {c.name: c for c in (Cases, Fraud, Fugitives)}


def names() -> list[str]:
    return list(HTTP)


def build(name: str, settings: Settings) -> Connector:
    """The connector `name`, pointed at the source the sources file names."""
    if name not in HTTP:
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
    return HTTP[name](Endpoint(config["url"], config["token"]), page_size=settings.sync_page_size)


__all__ = ["Connector", "Endpoint", "HttpConnector", "build", "names"]
