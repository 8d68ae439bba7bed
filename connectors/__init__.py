"""Connectors: one per source system, declared by a class and a mapping file.

Beyond the sources the hub ships, every `<source>.yaml` with file streams in the folder
HUB_MAPPINGS_DIR names (`outside`) is a file source of its own: its drop folder is its
entry in the sources file, `{"<source>": {"drop": "<folder>"}}`, like the big-data
centre's.
"""

from __future__ import annotations

import json
from pathlib import Path

from connectors.base import Connector, Endpoint, HttpConnector
from connectors.bigdata import BigData, FileConnector
from connectors.cases import Cases
from connectors.fraud import Fraud
from connectors.fugitives import Fugitives
from connectors.mapping import HERE, SourceMap, load
from hub.errors import ConfigError, SchemaError
from hub.settings import Settings

HTTP: dict[str, type[HttpConnector]] = {c.name: c for c in (Cases, Fraud, Fugitives)}
FILES: dict[str, type[FileConnector]] = {BigData.name: BigData}  # sources entry: {"drop": dir}


def outside(settings: Settings) -> dict[str, type[FileConnector]]:
    """The file sources declared in HUB_MAPPINGS_DIR, by name."""
    found: dict[str, type[FileConnector]] = {}
    if settings.mappings_dir is None:
        return found
    if not settings.mappings_dir.is_dir():
        raise ConfigError(f"HUB_MAPPINGS_DIR {settings.mappings_dir} is not a folder")
    for path in sorted(settings.mappings_dir.glob("*.y*ml")):
        if not _is_source(path):
            continue  # a match layout
        spec = load(path)
        if spec.source in HTTP or spec.source in FILES or spec.source in found:
            raise SchemaError(f"{path.name}: source {spec.source!r} is declared twice")
        if not all(s.is_file_feed for s in spec.streams.values()):
            raise SchemaError(f"{path.name}: a source of HUB_MAPPINGS_DIR has file streams only")
        found[spec.source] = _feed(spec)
    return found


def _is_source(path: Path) -> bool:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return True  # let `load` say what is wrong
    return isinstance(data, dict) and "streams" in data


def _feed(spec: SourceMap) -> type[FileConnector]:
    class Feed(FileConnector):
        name = spec.source
        mapping_file = ""

        def mapping(self) -> SourceMap:
            return spec

    return Feed


def source_maps(settings: Settings) -> dict[str, SourceMap]:
    """The mapping of every source, shipped or in HUB_MAPPINGS_DIR, by source name."""
    shipped = {c.name: load(HERE / c.mapping_file) for c in [*HTTP.values(), *FILES.values()]}
    return shipped | {name: kind(Path()).mapping() for name, kind in outside(settings).items()}


def names(settings: Settings | None = None) -> list[str]:
    """The shipped sources, and with `settings` the outside ones the sources file
    points at."""
    extra: list[str] = []
    if settings is not None and settings.mappings_dir is not None:
        try:
            configured = json.loads(settings.sources_path.read_text())
        except (OSError, json.JSONDecodeError):
            configured = {}
        extra = [n for n in outside(settings) if n in configured]
    return [*HTTP, *FILES, *extra]


def known(settings: Settings) -> list[str]:
    """Every source a connector can be built for: the shipped ones and those of the
    mappings in HUB_MAPPINGS_DIR."""
    return [*HTTP, *FILES, *outside(settings)]


def build(name: str, settings: Settings) -> Connector:
    """The connector `name`, pointed at the source the sources file names."""
    files: dict[str, type[FileConnector]] = {**FILES, **outside(settings)}
    if name not in HTTP and name not in files:
        raise ConfigError(f"unknown source {name!r}; known: {', '.join(known(settings))}")
    path = settings.sources_path
    try:
        configured = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"no sources file at {path}: start `hub simulate` or set HUB_SOURCES"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not valid JSON (it is not UTF-8 text)") from None
    if not isinstance(configured, dict):
        raise ConfigError(f"{path} must hold a JSON object with an entry for each source")
    try:
        config = configured[name]
    except KeyError:
        raise ConfigError(f"{path} has no valid entry for source {name!r}") from None
    made: Connector
    try:
        if name in files:
            made = files[name](
                Path(config["drop"]),
                step_rows=settings.batch_size,
                max_record_bytes=settings.max_record_bytes,
                facts=settings.data_dir / "facts" / name,
            )
        else:
            endpoint = Endpoint(config["url"], config["token"])
            made = HTTP[name](
                endpoint,
                page_size=settings.sync_page_size,
                max_record_bytes=settings.max_record_bytes,
                step_rows=settings.batch_size,
            )
        made.origin = config.get("origin")
    except (KeyError, TypeError, AttributeError):
        raise ConfigError(f"{path} has no valid entry for source {name!r}") from None
    return made


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
    "outside",
    "source_maps",
]
