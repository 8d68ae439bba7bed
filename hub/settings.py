"""Settings, read from HUB_* and NEO4J_* environment variables in this one place.

Each field names its variable; the README's configuration table lists them all and
`tests/hub/test_settings.py` checks that the two agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hub.errors import ConfigError


def _var(name: str, default: Any, doc: str) -> Any:
    return field(default=default, metadata={"env": name, "doc": doc})


@dataclass(frozen=True)
class Settings:
    env: str = _var("HUB_ENV", "development", "`development` or `production`.")
    data_dir: Path = _var(
        "HUB_DATA_DIR",
        Path.home() / ".hub",
        "Where the hub keeps the database files, the generated password and secrets, the "
        "demo county and the log.",
    )
    cache_dir: Path = _var(
        "HUB_CACHE_DIR",
        Path.home() / ".cache" / "county-hub",
        "Where the Neo4j download (about 120 MB) is kept, once for every data folder.",
    )
    host: str = _var("HUB_HOST", "127.0.0.1", "Address `hub serve` listens on.")
    port: int = _var("HUB_PORT", 8000, "Port `hub serve` listens on.")
    workers: int = _var(
        "HUB_WORKERS",
        1,
        "API processes `hub serve` runs on its port (uvicorn workers); `--workers` overrides.",
    )
    log_format: str = _var(
        "HUB_LOG_FORMAT",
        "text",
        "`text` or `json`: the API's log lines on stderr, each with its request id; `json` "
        "writes one object per line.",
    )
    log_level: str = _var(
        "HUB_LOG_LEVEL",
        "info",
        "Least severe log line the API writes: `debug`, `info`, `warning`, `error`.",
    )
    neo4j_version: str = _var(
        "HUB_NEO4J_VERSION", "5.26.30", "Neo4j Community release fetched from Maven Central."
    )
    neo4j_port: int = _var(
        "HUB_NEO4J_PORT", 7687, "Bolt port of the project-run Neo4j (always on 127.0.0.1)."
    )
    neo4j_heap: str = _var("HUB_NEO4J_HEAP", "2g", "Java heap of the project-run Neo4j.")
    neo4j_pagecache: str = _var("HUB_NEO4J_PAGECACHE", "2g", "Page cache of the project-run Neo4j.")
    neo4j_start_timeout: float = _var(
        "HUB_NEO4J_START_TIMEOUT", 180.0, "Seconds to wait for the project-run Neo4j to start."
    )
    batch_size: int = _var(
        "HUB_BATCH_SIZE",
        10_000,
        "Rows per loader transaction; a sync writes (and moves its cursor) in steps of this "
        "many records, pages of a source gathered and file feeds in whole days.",
    )
    load_workers: int = _var(
        "HUB_LOAD_WORKERS", 2, "Concurrent write transactions of the loader (about one per core)."
    )
    query_timeout: float = _var(
        "HUB_QUERY_TIMEOUT", 15.0, "Seconds a read transaction may run before Neo4j ends it."
    )
    max_page_size: int = _var(
        "HUB_MAX_PAGE_SIZE",
        100,
        "Most items one list field returns in one answer; a larger `first`, `last` or "
        "`limit` is refused.",
    )
    neighbourhood_depth: int = _var(
        "HUB_NEIGHBOURHOOD_DEPTH", 3, "Deepest `neighbourhood` an answer expands."
    )
    max_hops: int = _var("HUB_MAX_HOPS", 6, "Longest path `paths` looks for.")
    max_money_hops: int = _var(
        "HUB_MAX_MONEY_HOPS", 8, "Most transfers `moneyFlow` follows in a row."
    )
    max_results: int = _var(
        "HUB_MAX_RESULTS",
        500,
        "Most nodes, paths or rows one analysis answer holds; past it the answer says `truncated`.",
    )
    busy_degree: int = _var(
        "HUB_BUSY_DEGREE",
        50,
        "Links above which a neighbourhood shows a node collapsed, with its degree, "
        "instead of expanding it (a hotel, a cell tower, a clearing account).",
    )
    completion: str = _var(
        "HUB_COMPLETION",
        "one-pass",
        "`one-pass`: plain parts of an answer completed in one pass (`resolvers/executor.py`); "
        "`graphql-core`: every field completed by graphql-core (to compare their speed).",
    )
    alert_poll: float = _var(
        "HUB_ALERT_POLL", 1.0, "Seconds between an `alerts` subscription's looks for new alerts."
    )
    sync_page_size: int = _var("HUB_SYNC_PAGE_SIZE", 1000, "Records a connector asks for per page.")
    max_record_bytes: int = _var(
        "HUB_MAX_RECORD_BYTES",
        65_536,
        "Largest source record or file row, in bytes (all its fields); a larger one is "
        "quarantined with its start, never held whole.",
    )
    database_wait: float = _var(
        "HUB_DATABASE_WAIT",
        120.0,
        "Seconds a database transaction is retried (a deadlock, a lost connection) before "
        "the command gives up; a sync then stops and says to run it again.",
    )
    resolve_merge: float = _var(
        "HUB_RESOLVE_MERGE",
        5.0,
        "Match weight (bits: log2 of the odds that two records are one person) at or above "
        "which two persons are merged, if they agree on more than a name and a birth date.",
    )
    resolve_review: float = _var(
        "HUB_RESOLVE_REVIEW",
        0.0,
        "Match weight at or above which a pair that is not merged goes to the review queue.",
    )
    resolve_block_cap: int = _var(
        "HUB_RESOLVE_BLOCK_CAP",
        400,
        "Records sharing one blocking key beyond which that key makes no candidate pairs.",
    )
    mappings_dir: Path | None = _var(
        "HUB_MAPPINGS_DIR",
        None,
        "Folder of mappings beyond the shipped ones: `<source>.yaml` file sources and "
        "`hub match` layouts (`--mappings` on the command line).",
    )
    sources_file: Path | None = _var(
        "HUB_SOURCES",
        None,
        "JSON file with each source system's URL and token, and the `origin` its cursors "
        "belong to (`hub simulate` writes one); unset: `$HUB_DATA_DIR/world/simulators.json`.",
    )
    id_secret: str | None = _var(
        "HUB_ID_SECRET",
        None,
        "Base64 of 64 random bytes that seal global ids; unset: generated once in the "
        "data directory. API processes behind one load balancer must share it.",
    )
    jwt_secret: str | None = _var(
        "HUB_JWT_SECRET",
        None,
        "Secret of HS256 tokens (local use, `hub token`); unset: generated once in the data "
        "directory. Ignored when `HUB_JWT_PUBLIC_KEY` or `HUB_JWT_JWKS_URL` is set.",
    )
    jwt_public_key: Path | None = _var(
        "HUB_JWT_PUBLIC_KEY",
        None,
        "PEM file of the identity provider's public key: tokens must be RS256 or ES256.",
    )
    jwt_jwks_url: str | None = _var(
        "HUB_JWT_JWKS_URL",
        None,
        "JWKS document of the identity provider: tokens must be RS256 or ES256, signed by "
        "a key it lists (by `kid`).",
    )
    jwt_issuer: str = _var("HUB_JWT_ISSUER", "county-hub", "Required `iss` of every token.")
    jwt_audience: str = _var("HUB_JWT_AUDIENCE", "county-hub-api", "Required `aud` of every token.")
    token_ttl: int = _var("HUB_TOKEN_TTL", 28_800, "Seconds a token from `hub token` is valid.")
    max_token_ttl: int = _var(
        "HUB_MAX_TOKEN_TTL",
        86_400,
        "Longest a token may be valid (`exp` after `iat`, or after now): a longer one is "
        "refused, and `hub token` issues none.",
    )
    max_depth: int = _var(
        "HUB_MAX_DEPTH",
        7,
        "Deepest nesting of fields one query may have, a root field being 1 deep (an "
        "alert's linked entities, `alerts { edges { node { about { edges { node { kind "
        "} } } } } }`, are 7).",
    )
    max_aliases: int = _var(
        "HUB_MAX_ALIASES", 15, "Most aliases one query may use (fragments included)."
    )
    max_tokens: int = _var("HUB_MAX_TOKENS", 1000, "Most lexical tokens one query may have.")
    max_cost: int = _var(
        "HUB_MAX_COST",
        5000,
        "Most cost one query may have: each field costs 1, times the page sizes above it; "
        "a traversal costs 2 to the power of its hops.",
    )
    metrics_token: str | None = _var(
        "HUB_METRICS_TOKEN",
        None,
        "Bearer token with which a scraper (Prometheus) reads `/metrics`; unset: only an "
        "admin's token or API key may read them.",
    )
    max_body: int = _var("HUB_MAX_BODY", 65_536, "Largest request body in bytes (413 above).")
    rate_limit: int = _var(
        "HUB_RATE_LIMIT",
        600,
        "Requests and WebSocket operations per minute per user or API key and per API "
        "process (429 above), and failed logins per client address (at most 20); 0: off.",
    )
    trusted_proxies: str | None = _var(
        "HUB_TRUSTED_PROXIES",
        None,
        "Comma-separated addresses or networks of the proxies in front of the API: only "
        "their `X-Forwarded-For` names the client; unset: the peer is the client.",
    )
    audit_key: str | None = _var(
        "HUB_AUDIT_KEY",
        None,
        "Secret that seals every audit event (HMAC-SHA256); unset: generated once in the "
        "data directory. Keep it out of the database; every API process needs the same.",
    )
    audit_anchor: Path | None = _var(
        "HUB_AUDIT_ANCHOR",
        None,
        "Append-only file the audit chain's head is written to, for `hub audit verify`; "
        "unset: `$HUB_DATA_DIR/audit-anchor.log`.",
    )
    audit_anchor_every: float = _var(
        "HUB_AUDIT_ANCHOR_EVERY",
        60.0,
        "Seconds between the API's anchors of the audit chain's head (and one when it stops).",
    )
    neo4j_uri: str | None = _var(
        "NEO4J_URI",
        None,
        "An existing Neo4j (`bolt://`, `neo4j://` for a cluster, `neo4j+s://` for Aura). "
        "Unset: the hub runs its own on loopback.",
    )
    neo4j_user: str = _var("NEO4J_USER", "neo4j", "User for `NEO4J_URI`.")
    neo4j_password: str | None = _var(
        "NEO4J_PASSWORD", None, "Password for `NEO4J_URI`. Unset: the generated one."
    )
    neo4j_database: str | None = _var(
        "NEO4J_DATABASE", None, "Database name; unset means the server's default."
    )

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def audit_anchor_path(self) -> Path:
        return self.audit_anchor or self.data_dir / "audit-anchor.log"

    @property
    def sources_path(self) -> Path:
        return self.sources_file or self.data_dir / "world" / "simulators.json"

    @property
    def embedded(self) -> bool:
        """True when the hub runs its own Neo4j rather than using NEO4J_URI."""
        return self.neo4j_uri is None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.metadata["env"], f.type, raw)
        settings = cls(**values)
        if settings.env not in ("development", "production"):
            raise ConfigError(
                f"HUB_ENV must be 'development' or 'production', not {settings.env!r}"
            )
        if settings.completion not in ("one-pass", "graphql-core"):
            raise ConfigError(
                f"HUB_COMPLETION must be 'one-pass' or 'graphql-core', not {settings.completion!r}"
            )
        if settings.log_format not in ("text", "json"):
            raise ConfigError(
                f"HUB_LOG_FORMAT must be 'text' or 'json', not {settings.log_format!r}"
            )
        if settings.log_level.lower() not in ("debug", "info", "warning", "error"):
            raise ConfigError(
                "HUB_LOG_LEVEL must be 'debug', 'info', 'warning' or 'error', "
                f"not {settings.log_level!r}"
            )
        if settings.workers < 1:
            raise ConfigError(f"HUB_WORKERS must be 1 or more, not {settings.workers}")
        return settings


def _parse(name: str, type_: Any, raw: str) -> Any:
    kind = str(type_)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if "Path" in kind:
            return Path(raw).expanduser()
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.split(' ')[0]}") from None
    return raw


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, for the README and `hub config`."""
    rows = []
    for f in fields(Settings):
        default = f.default
        shown = "unset" if default is None else str(default).replace(str(Path.home()), "~")
        rows.append((f.metadata["env"], shown, f.metadata["doc"]))
    return rows
