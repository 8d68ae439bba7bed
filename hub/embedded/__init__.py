"""The Neo4j the hub runs itself when no NEO4J_URI is given.

Neo4j Community is fetched from Maven Central with Maven (`pom.xml` beside this
file; Maven keeps its usual ~/.m2 cache) and its jars copied into
`$HUB_CACHE_DIR/neo4j-<version>/lib`, once for every data folder of the user (a lock
file lets one start fetch while the others wait), and run embedded by the small
`HubNeo4j.java` with the Bolt connector on 127.0.0.1 (compiled once beside the jars,
which saves every start the seconds of compiling it). Each Bolt port has its own
instance folder, `$HUB_DATA_DIR/instances/<port>/`, holding the database, the logs, the
generated password (mode 600) and the pid of the running process.

`start` and `fetch` report what they wait for through a `say` callback (the download
counts its files and megabytes), so that a first start is not minutes of silence.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub import keyfile
from hub.errors import (
    DownloadFailed,
    EmbeddedNeo4jError,
    JavaMissing,
    MavenMissing,
    PortInUse,
    StartFailed,
)
from hub.settings import Settings

HERE = Path(__file__).parent
READY_LINE = "hub-neo4j ready"
JAVA_MIN = 17
# Maven's line for each artifact it fetched: "Downloaded from central: URL (1.2 MB at ...)"
DOWNLOADED = re.compile(r"^Downloaded from .* \(([0-9.]+) (B|kB|MB|GB)")
UNITS = {"B": 1.0, "kB": 1e3, "MB": 1e6, "GB": 1e9}

Say = Callable[[str], None]  # told what a start is waiting for, as it changes


@dataclass(frozen=True)
class Instance:
    """Where one project-run Neo4j keeps its files."""

    settings: Settings

    @property
    def folder(self) -> Path:
        return self.settings.data_dir / "instances" / str(self.settings.neo4j_port)

    @property
    def scratch(self) -> Path:
        """Present while the graph of this instance is scratch: the test suite's, which
        it empties as it runs. The demo removes it: the graph it loads is kept."""
        return self.folder / "scratch"

    @property
    def lib(self) -> Path:
        return self.settings.cache_dir / f"neo4j-{self.settings.neo4j_version}" / "lib"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.settings.neo4j_port}"

    @property
    def password_file(self) -> Path:
        return self.folder / "password"

    @property
    def pid_file(self) -> Path:
        return self.folder / "neo4j.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "neo4j.out"

    @property
    def conf_file(self) -> Path:
        return self.folder / "neo4j.conf"

    def password(self) -> str:
        """The generated password of the `neo4j` user, created on first use."""
        made = keyfile.made_once(self.password_file, lambda: secrets.token_urlsafe(24).encode())
        return made.decode()

    def pid(self) -> int | None:
        """The pid of the running Neo4j of this instance, if it runs."""
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        proc = Path(f"/proc/{pid}")
        try:
            if b"HubNeo4j" not in (proc / "cmdline").read_bytes():
                return None  # the pid was reused by another process
            if (proc / "stat").read_text().split(")")[-1].split()[0] == "Z":
                return None  # exited, not yet reaped by its parent
        except FileNotFoundError:
            return None
        return pid


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    version: str
    uri: str
    data_dir: Path


def status(settings: Settings) -> Status:
    inst = Instance(settings)
    pid = inst.pid()
    return Status(pid is not None, pid, settings.neo4j_version, inst.uri, inst.folder)


def fetch(settings: Settings, say: Say | None = None) -> Path:
    """Fetch Neo4j Community and its Bolt connector from Maven Central, once."""
    lib = Instance(settings).lib
    done = lib.parent / "complete"
    if done.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    with (lib.parent.with_name(f"{lib.parent.name}.lock")).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file closes
        except BlockingIOError:
            if say:
                say(f"waiting for another start fetching Neo4j into {lib.parent}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _download(settings, lib, say)
            done.write_text(settings.neo4j_version)
    return lib


def _download(settings: Settings, lib: Path, say: Say | None) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenMissing(
            "Maven is needed once to fetch Neo4j from Maven Central; install it "
            "(apt-get install maven) or set NEO4J_URI to an existing Neo4j"
        )
    shutil.rmtree(lib, ignore_errors=True)
    pom = lib.parent / "pom.xml"
    shutil.copyfile(HERE / "pom.xml", pom)
    command = [
        mvn, "-B", "-f", str(pom),
        f"-Dneo4j.version={settings.neo4j_version}",
        "dependency:copy-dependencies", f"-DoutputDirectory={lib}",
    ]  # fmt: skip
    what = f"fetching Neo4j {settings.neo4j_version} from Maven Central (about 120 MB, once)"
    if say:
        say(what)
    files, size, errors = 0, 0.0, []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as maven:
        assert maven.stdout is not None
        for line in maven.stdout:
            plain = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
            if "ERROR" in plain:
                errors.append(plain)
            got = DOWNLOADED.search(plain)
            if got:
                files += 1
                size += float(got.group(1)) * UNITS[got.group(2)]
                if say:
                    say(f"{what}: {files} files, {size / 1e6:.1f} MB")
    if maven.returncode != 0:
        reason = errors[0] if errors else "no output"
        raise DownloadFailed(
            f"fetching Neo4j {settings.neo4j_version} from Maven Central failed: {reason}"
        )


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise JavaMissing(
            f"Java {JAVA_MIN}+ is needed to run Neo4j; install a JDK "
            "(apt-get install openjdk-17-jdk-headless) or set NEO4J_URI"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    found = re.search(r'version "(\d+)', out)
    if found is None or int(found.group(1)) < JAVA_MIN:
        raise JavaMissing(f"Neo4j needs Java {JAVA_MIN}+, found: {out.splitlines()[:1]}")
    return java


def launcher(java: str, lib: Path) -> Path:
    """The folder of HubNeo4j.class, compiled against `lib` once per version of its source.

    Compiled into a folder of its own and renamed into place, so that two starts at once
    never see half a class file."""
    source = HERE / "HubNeo4j.java"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    classes = lib.parent / f"launcher-{digest}"
    if classes.exists():
        return classes
    javac = Path(java).resolve().with_name("javac")
    if not javac.exists():
        raise JavaMissing(f"javac is needed beside {java}: install a JDK, not only a JRE")
    building = Path(f"{classes}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    command = [str(javac), "-cp", f"{lib}/*", "-d", str(building), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StartFailed(f"compiling {source.name} failed: {result.stderr.strip()[:300]}")
    try:
        building.rename(classes)
    except OSError:  # compiled by another start meanwhile
        shutil.rmtree(building, ignore_errors=True)
    return classes


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _write_conf(inst: Instance) -> None:
    s = inst.settings
    inst.conf_file.write_text(
        "\n".join(
            [
                "server.bolt.enabled=true",
                f"server.bolt.listen_address=127.0.0.1:{s.neo4j_port}",
                "dbms.security.auth_enabled=true",
                f"server.memory.pagecache.size={s.neo4j_pagecache}",
                f"server.directories.data={inst.folder / 'data'}",
                f"server.directories.logs={inst.folder / 'logs'}",
                # Keep only the newest transaction logs: the graph is rebuilt from
                # the sources, so point-in-time recovery is not what this instance is for.
                "db.tx_log.rotation.retention_policy=2 files",
                # Bolt waits this long for new work before it stops, after the databases
                # have stopped already (default 5s): none can come, so stop at once.
                "internal.dbms.bolt.netty_server_shutdown_quiet_period=0",
                "",
            ]
        )
    )


def start(settings: Settings, say: Say | None = None) -> Status:
    """Start the project-run Neo4j if it is not running; wait until Bolt answers."""
    inst = Instance(settings)
    if inst.pid() is not None:
        return status(settings)
    java = _java()
    if not _port_free(settings.neo4j_port):
        raise PortInUse(
            f"port {settings.neo4j_port} on 127.0.0.1 is taken by another program; "
            "stop it or choose another with HUB_NEO4J_PORT"
        )
    lib = fetch(settings, say)
    if say:
        say("compiling the Neo4j launcher")
    classes = launcher(java, lib)
    inst.password()
    _write_conf(inst)
    if (inst.folder / "bulk-load" / "importing").exists():
        # a bulk load (hub.bulk) was stopped while the importer wrote the database: its
        # files may be half written, so Neo4j starts with an empty one (the load is redone)
        name = settings.neo4j_database or "neo4j"
        for part in ("databases", "transactions"):
            shutil.rmtree(inst.folder / "data" / part / name, ignore_errors=True)
        (inst.folder / "bulk-load" / "importing").unlink()
    command = [
        java,
        f"-Xms{settings.neo4j_heap}",
        f"-Xmx{settings.neo4j_heap}",
        "-XX:+UseParallelGC",
        "-Dfile.encoding=UTF-8",
        "-cp", f"{lib}/*:{classes}",
        "HubNeo4j",
        str(inst.folder), str(inst.conf_file), str(inst.password_file),
    ]  # fmt: skip
    pid = _spawn(command, inst.log_file)
    inst.pid_file.write_text(str(pid))
    began = time.monotonic()
    deadline = began + settings.neo4j_start_timeout
    while time.monotonic() < deadline:
        if say:
            say(f"starting Neo4j on {inst.uri} ({time.monotonic() - began:.0f}s)")
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            inst.pid_file.unlink(missing_ok=True)
            raise StartFailed(f"Neo4j exited while starting: {_last_error(inst.log_file)}")
        if READY_LINE in inst.log_file.read_text(errors="replace"):
            return status(settings)
        time.sleep(0.2)
    stop(settings)
    raise StartFailed(
        f"Neo4j did not start within {settings.neo4j_start_timeout:.0f}s; see {inst.log_file}"
    )


def _spawn(command: list[str], log: Path) -> int:
    """Start `command` in a session of its own, output to `log`; it outlives the caller."""
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        return os.posix_spawn(
            command[0],
            command,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out, 1),
                (os.POSIX_SPAWN_DUP2, out, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(out)


def _last_error(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    for line in lines:
        if "Exception" in line or "Error" in line:
            return line[:300]
    return lines[-1][:300] if lines else f"no output, see {log}"


def stop(settings: Settings, timeout: float = 60.0) -> bool:
    """Stop the project-run Neo4j cleanly (SIGTERM, then SIGKILL). False if not running."""
    inst = Instance(settings)
    pid = inst.pid()
    if pid is None:
        inst.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and inst.pid() is not None:
        time.sleep(0.2)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if this process started it
    if inst.pid() is not None:
        os.kill(pid, signal.SIGKILL)
        raise EmbeddedNeo4jError(f"Neo4j (pid {pid}) did not stop within {timeout:.0f}s; killed")
    inst.pid_file.unlink(missing_ok=True)
    return True
