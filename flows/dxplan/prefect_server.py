"""Start Prefect's temporary API server early, while ``dxplan run`` is still importing.

With no ``PREFECT_API_URL``, Prefect 3 starts a temporary API server (a ``uvicorn``
subprocess, ``prefect.server.api.server.SubprocessASGIServer``) the first time the flow
needs the API, and waits ~8 s for it. Here the same subprocess is started *before*
``prefect`` is imported, ``PREFECT_API_URL`` is pointed at it, and the server boots
while the main process imports prefect, Great Expectations and dbt.

This module must stay light: it imports nothing from prefect (``import prefect`` alone
is ~2 s) and decides from the environment and the profile file whether an API is
configured. When in doubt it does nothing, and Prefect behaves as it always did.

The server command copies ``SubprocessASGIServer._run_uvicorn_command`` of Prefect 3.4
to 3.9 (checked against 3.9.1). On any other Prefect version (read from the package's
metadata, without importing it) nothing is started early and Prefect starts its own
server as usual: an upgrade costs the head start, never the run. Widen
``CHECKED_PREFECT`` after checking the command against a new version.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

#: the range Prefect picks its temporary server's port from
PORT_RANGE = range(8000, 9000)
#: uvicorn's exit code when it could not start (here: the port was taken meanwhile)
UVICORN_STARTUP_FAILURE = 3
DEFAULT_STARTUP_TIMEOUT_S = 120.0
#: the Prefect versions whose temporary-server start this module mirrors: [low, high)
CHECKED_PREFECT = ((3, 4), (3, 10))
STOP_TIMEOUT_S = 2.0

_TEST_MODE_VARS = (
    "PREFECT_TEST_MODE",
    "PREFECT_UNIT_TEST_MODE",
    "PREFECT_TESTING_UNIT_TEST_MODE",
    "PREFECT_TESTING_TEST_MODE",
)
_EPHEMERAL_KEYS = ("PREFECT_SERVER_EPHEMERAL_ENABLED", "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE")
_TRUE = {"1", "true", "t", "yes", "y", "on"}


class ServerStartError(RuntimeError):
    """The temporary API server did not answer /api/health in time, or exited."""


# --------------------------------------------------------------------------- decide


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def _prefect_package_dir() -> Path | None:
    """``prefect/`` in site-packages, found without importing prefect."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _read_toml(path: Path) -> dict | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _prefect_home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def _installed_prefect() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("prefect")
    except PackageNotFoundError:
        return None


def _active_profile(environ: Mapping[str, str], package_dir: Path) -> dict | None:
    """The settings of the active Prefect profile, as Prefect 3 resolves them
    (``prefect.settings.sources``); ``None`` when that cannot be told for sure."""
    bundled = package_dir / "settings" / "profiles.toml"

    def default_profile() -> dict | None:
        data = _read_toml(bundled)
        if data is None:
            return None
        return data.get("profiles", {}).get(data.get("active", "ephemeral"), {})

    if environ.get("PREFECT_PROFILES_PATH"):
        path = Path(environ["PREFECT_PROFILES_PATH"]).expanduser()
    else:
        path = _prefect_home(environ) / "profiles.toml"
    if not path.exists():
        return default_profile()
    data = _read_toml(path)
    if data is None:
        return None  # Prefect warns and ignores a broken file; do not guess
    active = environ.get("PREFECT_PROFILE") or data.get("active")
    profiles = data.get("profiles", {})
    if not active or active not in profiles:
        return default_profile()
    return profiles[active]


def _cwd_may_configure_prefect(cwd: Path) -> bool:
    """``.env``, ``prefect.toml`` or ``[tool.prefect]`` in the working directory can set
    the API URL or the profile path: too many cases to mirror, so leave it to Prefect."""
    env_file = cwd / ".env"
    if env_file.is_file():
        try:
            if "PREFECT_" in env_file.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            return True
    if (cwd / "prefect.toml").exists():
        return True
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        data = _read_toml(pyproject)
        if data is None or data.get("tool", {}).get("prefect") is not None:
            return True
    return False


def _profile_if_ephemeral(environ: Mapping[str, str], cwd: Path) -> dict | None:
    """The active profile when Prefect would start its own temporary server for this
    process (prefect not imported yet, no API URL in the environment or the active
    profile, ephemeral mode on, not Prefect's test mode); else ``None``."""
    if "prefect" in sys.modules:  # settings already read (e.g. a test harness is active)
        return None
    if environ.get("PREFECT_API_URL"):
        return None
    if any(environ.get(name) for name in _TEST_MODE_VARS):
        return None
    if _cwd_may_configure_prefect(cwd):
        return None
    package_dir = _prefect_package_dir()
    if package_dir is None:
        return None
    profile = _active_profile(environ, package_dir)
    if profile is None or profile.get("PREFECT_API_URL"):
        return None
    for key in _EPHEMERAL_KEYS:
        if environ.get(key):
            return profile if _truthy(environ[key]) else None
    for key in _EPHEMERAL_KEYS:
        if profile.get(key) is not None:
            return profile if _truthy(profile[key]) else None
    return None  # Prefect's default: no temporary server (it raises a clear error)


def prefect_is_checked(version: str | None = None) -> bool:
    """Is the installed Prefect one whose server start this module mirrors?"""
    if version is None:
        version = _installed_prefect()
        if version is None:
            return False
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            return False
        parts.append(int(digits))
    low, high = CHECKED_PREFECT
    return low <= tuple(parts) < high


def should_start_early(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> bool:
    """True only when Prefect would start its own temporary server for this process, and
    the installed Prefect is one whose start this module mirrors."""
    environ = os.environ if environ is None else environ
    return (prefect_is_checked()
            and _profile_if_ephemeral(environ, Path.cwd() if cwd is None else cwd) is not None)


# --------------------------------------------------------------------------- migrations

#: in PREFECT_HOME: the database revision Prefect's migrations left, and that Prefect's version
MIGRATED_MEMO = "dxplan_migrated.json"
_DB_KEYS = ("PREFECT_SERVER_DATABASE_", "PREFECT_API_DATABASE_")


def _default_database(environ: Mapping[str, str], profile: Mapping[str, object]) -> Path | None:
    """Prefect's own SQLite file (``$PREFECT_HOME/prefect.db``); None when anything about
    the database is configured (another file, PostgreSQL, migrations on or off)."""
    if any(key.startswith(_DB_KEYS) for key in (*environ, *profile)):
        return None
    return _prefect_home(environ) / "prefect.db"


def _revision(database: Path) -> str | None:
    """The alembic revision recorded in the database (read-only), or None."""
    import sqlite3

    if not database.is_file():
        return None
    try:
        con = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return rows[0][0] if len(rows) == 1 else None


def migrated_already(environ: Mapping[str, str], profile: Mapping[str, object]) -> bool:
    """Did this Prefect version's migrations already run on the default database, which
    has not moved since? (Then the server may start without them: ≈ 0.5-1 s of alembic
    on every start.) Any doubt means no."""
    database = _default_database(environ, profile)
    if database is None:
        return False
    try:
        memo = json.loads((_prefect_home(environ) / MIGRATED_MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    revision = _revision(database)
    return (isinstance(memo, dict) and revision is not None
            and memo.get("prefect") == _installed_prefect() and memo.get("revision") == revision)


def remember_migrated(environ: Mapping[str, str], profile: Mapping[str, object]) -> None:
    """After a server start that ran the migrations: note the revision they left."""
    database = _default_database(environ, profile)
    revision = _revision(database) if database is not None else None
    if revision is None:
        return
    memo = _prefect_home(environ) / MIGRATED_MEMO
    with contextlib.suppress(OSError):
        tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"prefect": _installed_prefect(), "revision": revision}),
                       encoding="utf-8")
        os.replace(tmp, memo)


# --------------------------------------------------------------------------- the server


def _port_is_free(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def find_free_port(attempts: int = 10) -> int:
    """A random free port in 8000-8999 on 127.0.0.1, as Prefect picks it."""
    for _ in range(attempts):
        port = random.choice(PORT_RANGE)
        if _port_is_free(port):
            return port
        time.sleep(random.uniform(0.1, 0.5))
    raise ServerStartError("no free port in 8000-8999 on 127.0.0.1 for Prefect's temporary server")


def die_with_parent() -> Callable[[], None] | None:
    """preexec_fn: the child (the API server, dbt's worker) gets SIGTERM when this process
    dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class TemporaryServer:
    """Prefect's temporary API server, started by us instead of by Prefect."""

    def __init__(self, package_dir: Path, popen: Callable[..., subprocess.Popen] = subprocess.Popen,
                 port_finder: Callable[[], int] = find_free_port,
                 profile: Mapping[str, object] | None = None):
        self.package_dir = package_dir
        #: the active profile's settings; with them, the migrations of a database already
        #: migrated by this Prefect are skipped (migrated_already)
        self.profile = profile
        self.skips_migrations = False
        self._popen = popen
        self._find_port = port_finder
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self._output = None  # a temp file with the server's stdout+stderr
        self.first_api_url: str | None = None
        self.client_only: set[str] = {"PREFECT_API_URL"}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def moved(self) -> bool:
        """The port changed after PREFECT_API_URL was first set (port taken meanwhile)."""
        return self.first_api_url is not None and self.first_api_url != self.api_url

    def command(self) -> list[str]:
        # = SubprocessASGIServer._run_uvicorn_command (prefect/server/api/server.py)
        return [
            sys.executable, "-m", "uvicorn",
            "--app-dir", str(self.package_dir.parent),
            "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--log-level", "error",
            "--lifespan", "on",
        ]

    def environment(self) -> dict[str, str]:
        # what Prefect gives its server: our environment without the two URLs set for
        # the client in start_early
        env = {k: v for k, v in os.environ.items() if k not in self.client_only}
        env.update({
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
        })
        self.skips_migrations = (self.profile is not None
                                 and migrated_already(os.environ, self.profile))
        if self.skips_migrations:
            env["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] = "false"
        return env

    def start(self) -> None:
        self.port = self._find_port()
        if self._output is None:
            self._output = tempfile.TemporaryFile(prefix="dxplan-prefect-server-")  # noqa: SIM115 - closed in stop()
        self.process = self._popen(
            self.command(),
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )
        if self.first_api_url is None:
            self.first_api_url = self.api_url

    def output_tail(self, limit: int = 4000) -> str:
        if self._output is None:
            return ""
        try:
            self._output.seek(0, os.SEEK_END)
            size = self._output.tell()
            self._output.seek(max(0, size - limit))
            return self._output.read().decode("utf-8", errors="replace").strip()
        except (OSError, ValueError):
            return ""

    def _health_ok(self, timeout_s: float) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
        try:
            with opener.open(f"{self.api_url}/health", timeout=timeout_s) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def is_ready(self) -> bool:
        """Answers /api/health now (no waiting); False while starting or when it exited."""
        return self.process is not None and self.process.poll() is None and self._health_ok(0.5)

    def wait_until_ready(self, timeout_s: float | None = None) -> None:
        """Poll GET /api/health until it answers 200; restart on another port when the
        port was taken meanwhile (uvicorn exits 3), as Prefect does."""
        if timeout_s is None:
            value = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
            timeout_s = float(value) if value else DEFAULT_STARTUP_TIMEOUT_S
        deadline = time.monotonic() + timeout_s
        while True:
            code = self.process.poll() if self.process else None
            if code == UVICORN_STARTUP_FAILURE and time.monotonic() < deadline:
                self.start()  # the port was taken since we picked it: pick another one
                continue
            if code is not None:
                said = self.output_tail()
                self.stop(quiet=True)
                raise ServerStartError(
                    f"Prefect's temporary API server exited with code {code} while starting; "
                    f"its output:\n{said}")
            if self._health_ok(2.0):
                if self.profile is not None and not self.skips_migrations:
                    remember_migrated(os.environ, self.profile)
                return
            if time.monotonic() >= deadline:
                said = self.output_tail()
                self.stop(quiet=True)
                raise ServerStartError(
                    f"Prefect's temporary API server did not answer {self.api_url}/health within "
                    f"{timeout_s:g} s (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); "
                    f"its output:\n{said}")
            time.sleep(0.05)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S, quiet: bool = False) -> None:
        """Terminate the server, wait at most ``timeout_s``, then kill it; pass on what
        it printed (unless ``quiet``). Idempotent."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        if self._output is not None:
            if proc is not None and not quiet and (said := self.output_tail()):
                # what Prefect's own server would have printed to the terminal
                print(f"dxplan: Prefect's temporary API server said:\n{said}", file=sys.stderr)
            with contextlib.suppress(OSError):
                self._output.close()
            self._output = None


def start_early() -> TemporaryServer | None:
    """Start the server and point ``PREFECT_API_URL`` at it, when Prefect would start
    one anyway (see ``should_start_early``); call before ``prefect`` is imported."""
    if not prefect_is_checked():
        return None  # an unchecked Prefect: it starts its own server, as it always did
    profile = _profile_if_ephemeral(os.environ, Path.cwd())
    if profile is None:
        return None
    package_dir = _prefect_package_dir()
    assert package_dir is not None
    server = TemporaryServer(package_dir, profile=profile)
    if "PREFECT_UI_URL" not in os.environ and not profile.get("PREFECT_UI_URL"):
        # Prefect derives a UI URL from PREFECT_API_URL and would log "View at <url>" for
        # a UI that is disabled and gone after the run (it logs none for its own server)
        os.environ["PREFECT_UI_URL"] = ""
        server.client_only.add("PREFECT_UI_URL")
    try:
        server.start()
    except (OSError, ServerStartError) as exc:  # no port, no python: Prefect will try itself
        print(f"dxplan: could not start Prefect's temporary API server early: {exc}",
              file=sys.stderr)
        server.stop(quiet=True)
        for name in server.client_only - {"PREFECT_API_URL"}:
            os.environ.pop(name, None)
        return None
    # registered before prefect is imported: atexit is LIFO, so this runs after
    # Prefect's own exit handlers have drained their log and event workers
    atexit.register(server.stop)
    os.environ["PREFECT_API_URL"] = server.api_url
    return server


def prefect_settings_for(server: TemporaryServer) -> contextlib.AbstractContextManager:
    """The settings the flow runs with on this server:

    - its URL: Prefect read PREFECT_API_URL at import, and the server may have moved to
      another port since;
    - no flow-run heartbeats: they let a server notice a run that crashed, and this server
      ends with the run; Prefect also joins the heartbeat thread, which sleeps in steps
      of a second, when the flow ends (up to 1 s per run).
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    updates = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if server.moved:
        os.environ["PREFECT_API_URL"] = server.api_url
        updates[PREFECT_API_URL] = server.api_url
    return temporary_settings(updates=updates)


def drain_prefect_workers(timeout_s: float = 5.0) -> None:
    """Send Prefect's queued logs and events before the server goes away (what
    ``prefect_test_harness`` does before it stops its server)."""
    # a worker exists only once its module was imported (by the flow engine)
    for module, name in (("prefect.logging.handlers", "APILogWorker"),
                         ("prefect.events.worker", "EventsWorker")):
        worker = getattr(sys.modules.get(module), name, None)
        if worker is not None:
            with contextlib.suppress(Exception):
                worker.drain_all(timeout=timeout_s)
