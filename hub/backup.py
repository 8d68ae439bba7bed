"""`hub db backup DIR` and `hub db restore DIR`: the project-run Neo4j's database as one
dump file, made and loaded by Neo4j's own admin tool (`neo4j-admin database dump` and
`load`, `org.neo4j.cli.AdminTool` among the jars fetched from Maven Central).

Neo4j Community dumps a database only while it is stopped: a backup stops the running
instance, dumps, and starts it again (the API answers 503 meanwhile and recovers by
itself, `hub.outage`). A restore replaces the instance's database by the dump's, in the
data folder of HUB_DATA_DIR and HUB_NEO4J_PORT, a fresh one or not; a running instance
is stopped for it and started again. Beside the dump, `backup.json` names the database,
the Neo4j version, when it was made and the dump's SHA-256, which a restore checks.
The secrets of the data folder (`id-secret`, `jwt-secret`) are not in the dump: a
restore elsewhere keeps global ids and tokens only with the same HUB_ID_SECRET and
HUB_JWT_SECRET (or copies of those files).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub import embedded
from hub.errors import ConfigError, EmbeddedNeo4jError
from hub.queries import generation
from hub.settings import Settings

MANIFEST = "backup.json"


@dataclass(frozen=True)
class Backup:
    folder: Path
    database: str
    dump: Path
    size: int
    sha256: str
    made_at: str


def _database(settings: Settings) -> str:
    return settings.neo4j_database or "neo4j"


def _embedded(settings: Settings) -> embedded.Instance:
    if not settings.embedded:
        raise ConfigError(
            f"NEO4J_URI is set ({settings.neo4j_uri}): back that server up with its own "
            "neo4j-admin; `hub db backup` and `restore` are for the Neo4j the hub runs"
        )
    return embedded.Instance(settings)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _admin(settings: Settings, inst: embedded.Instance, *args: str, heap: str = "512m") -> None:
    """Run neo4j-admin on the instance's folder (its configuration names its data)."""
    lib = embedded.fetch(settings)
    java = shutil.which("java") or "java"
    inst.folder.mkdir(parents=True, exist_ok=True)
    embedded._write_conf(inst)  # the data folder neo4j-admin works on, as the instance's
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(NEO4J_HOME=str(inst.folder), NEO4J_CONF=str(inst.folder))
    command = [java, f"-Xmx{heap}", "-cp", f"{lib}/*", "org.neo4j.cli.AdminTool", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "ERROR" in ln or "Exception" in ln or "rror:" in ln]
        reason = (errors or lines or ["no output"])[0].strip()[:300]
        raise EmbeddedNeo4jError(f"neo4j-admin {' '.join(args[:2])} failed: {reason}")


def backup(settings: Settings, folder: Path) -> Backup:
    """Dump the project-run database into `folder` (stopping Neo4j for it if it runs)."""
    inst = _embedded(settings)
    database = _database(settings)
    if not (inst.folder / "data" / "databases" / database).exists():
        raise ConfigError(f"there is no database {database!r} in {inst.folder} to back up")
    folder.mkdir(parents=True, exist_ok=True)
    running = inst.pid() is not None
    if running:
        embedded.stop(settings)
    try:
        _admin(
            settings,
            inst,
            "database",
            "dump",
            database,
            f"--to-path={folder}",
            "--overwrite-destination=true",
        )
    finally:
        if running:
            embedded.start(settings)
    dump = folder / f"{database}.dump"
    made = Backup(
        folder,
        database,
        dump,
        dump.stat().st_size,
        _sha256(dump),
        datetime.now(UTC).isoformat(timespec="seconds"),
    )
    (folder / MANIFEST).write_text(
        json.dumps(
            {
                "database": database,
                "dump": dump.name,
                "size": made.size,
                "sha256": made.sha256,
                "neo4j_version": settings.neo4j_version,
                "made_at": made.made_at,
            },
            indent=2,
        )
        + "\n"
    )
    return made


def restore(settings: Settings, folder: Path) -> tuple[Backup, bool]:
    """Load the dump in `folder` as the project-run database, replacing it; whether
    Neo4j runs afterwards (it does if it ran before)."""
    inst = _embedded(settings)
    manifest = folder / MANIFEST
    try:
        found = json.loads(manifest.read_text())
        dump = folder / found["dump"]
    except FileNotFoundError:
        raise ConfigError(f"{folder} holds no backup: {MANIFEST} is missing") from None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{manifest} is not a backup's manifest") from None
    if not dump.exists():
        raise ConfigError(f"{dump} is missing: the backup in {folder} is incomplete")
    if _sha256(dump) != found.get("sha256"):
        raise ConfigError(f"{dump} is not the file that was backed up (its SHA-256 differs)")
    database = _database(settings)
    if found["database"] != database:
        raise ConfigError(
            f"{folder} holds the database {found['database']!r}, not {database!r} (NEO4J_DATABASE)"
        )
    running = inst.pid() is not None
    if running:
        embedded.stop(settings)
    inst.password()  # a fresh folder gets its password before its first start
    try:
        _admin(
            settings,
            inst,
            "database",
            "load",
            database,
            f"--from-path={folder}",
            "--overwrite-destination=true",
        )
    finally:
        if running:
            embedded.start(settings)
        generation.stamped(settings)  # answers API processes keep are of the old graph
    made = Backup(
        folder, database, dump, int(found["size"]), str(found["sha256"]), str(found["made_at"])
    )
    return made, running
