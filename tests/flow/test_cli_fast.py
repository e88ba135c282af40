"""``dxplan run`` start-up: the no-op fast path and Prefect's temporary server started early.

Cheap tests use a hand-made "published" warehouse (only ``staging.loads``, which is all the
fast path reads) and a stand-in flow; one slow test runs the real command end to end.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from dxplan import cli, i18n, prefect_server

from tests.conftest import SEED

BIN = Path(sys.executable).parent
HEAVY = ("prefect", "great_expectations", "dbt", "pandas")


# --------------------------------------------------------------------------- helpers


def _published(tmp_path: Path, names=("a_R05_FY2023.txt", "b_R06_FY2024.txt")) -> tuple[Path, Path]:
    """raw/ with small files, and a warehouse whose staging.loads has each as current."""
    raw = tmp_path / "raw"
    raw.mkdir()
    wh_dir = tmp_path / "warehouse"
    wh_dir.mkdir()
    rows = []
    for i, name in enumerate(names):
        data = f"report {i}\n".encode()
        (raw / name).write_bytes(data)
        rows.append((hashlib.sha256(data).hexdigest(), f"load{i}", 2023 + i, True))
    warehouse = wh_dir / "dxplan.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE TABLE staging.loads (sha256 VARCHAR, load_id VARCHAR, "
                    "report_fiscal_year INTEGER, is_current BOOLEAN)")
        con.executemany("INSERT INTO staging.loads VALUES (?, ?, ?, ?)", rows)
    finally:
        con.close()
    for sub in ("exports", "dashboard"):
        (wh_dir / sub).mkdir()
        (wh_dir / sub / "index.html").write_text("x")
    return raw, warehouse


def _run_args(raw: Path, warehouse: Path, *extra: str) -> list[str]:
    return ["run", "--raw-dir", str(raw), "--warehouse", str(warehouse), *extra]


@pytest.fixture
def fake_flow(monkeypatch):
    """A stand-in for dxplan.pipeline: records calls; no Prefect, no server, no GC tuning."""
    calls: list[tuple] = []

    def dxplan_pipeline(raw_dir=None, warehouse=None):
        calls.append((raw_dir, warehouse))
        return {"counts": {"published": 0, "unchanged": 0, "rejected": 0}, "seconds": 0.0,
                "warehouse": str(warehouse), "files": [], "ok": True}

    module = types.ModuleType("dxplan.pipeline")
    module.dxplan_pipeline = dxplan_pipeline
    monkeypatch.setitem(sys.modules, "dxplan.pipeline", module)
    monkeypatch.setattr(prefect_server, "start_early", lambda: None)
    monkeypatch.setattr(cli, "_tune_gc_for_imports", lambda: None)
    monkeypatch.delenv("DXPLAN_ALWAYS_RUN", raising=False)
    return calls


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH",
                        "DXPLAN_ALWAYS_RUN", "PREFECT_UI_URL"}
           and "TEST_MODE" not in k}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1", **extra)
    return env


# --------------------------------------------------------------------------- the fast path

PROBE = (
    "import sys, time\n"
    "t = time.perf_counter()\n"
    "from dxplan.cli import main\n"
    "code = main(sys.argv[1:])\n"
    f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
    "print(f'PROBE heavy={heavy} seconds={time.perf_counter() - t:.2f}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.mark.parametrize("locked", [False, True], ids=["idle", "while-a-run-writes"])
def test_fast_path_when_nothing_changed(tmp_path, locked):
    from dxplan.publish import writer_lock
    from dxplan.settings import load_settings

    raw, warehouse = _published(tmp_path)
    shutil.copy(raw / "a_R05_FY2023.txt", raw / "a_copy.txt")  # a duplicate: unchanged too
    lock = writer_lock(load_settings(raw, warehouse).lock_path, 1)
    started = time.monotonic()
    with lock if locked else contextlib.nullcontext():
        proc = subprocess.run([sys.executable, "-c", PROBE, *_run_args(raw, warehouse)],
                              env=_clean_env(PREFECT_HOME=str(tmp_path / "ph")), cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("dxplan: 0 published, 3 unchanged, 0 rejected in ")
    assert lines[0].endswith(f" s -> {warehouse}")
    assert lines[1:4] == [
        "  unchanged a_R05_FY2023.txt (report 2023): already published (same sha256)",
        "  unchanged a_copy.txt (report 2023): already published (same sha256)",
        "  unchanged b_R06_FY2024.txt (report 2024): already published (same sha256)",
    ]
    assert "no Prefect flow run was started" in lines[4] and "--always-run" in lines[4]
    assert "PROBE heavy=[]" in proc.stderr  # neither prefect nor GX nor dbt imported
    assert elapsed < 5, f"fast path took {elapsed:.1f} s"
    assert not (tmp_path / "ph").exists()  # Prefect never touched


def test_fast_path_in_process_does_not_call_the_flow(tmp_path, fake_flow, capsys):
    raw, warehouse = _published(tmp_path)
    assert cli.main(_run_args(raw, warehouse)) == cli.EXIT_OK
    assert fake_flow == []
    assert "nothing changed since the last publish" in capsys.readouterr().out


def _new_file(raw, wh):
    (raw / "c_R07_FY2025.txt").write_text("a new year")


def _changed_file(raw, wh):
    (raw / "b_R06_FY2024.txt").write_text("a corrected re-issue")


def _earlier_version_back(raw, wh):
    con = duckdb.connect(str(wh))
    con.execute("UPDATE staging.loads SET is_current = false WHERE report_fiscal_year = 2024")
    con.close()


def _exports_missing(raw, wh):
    shutil.rmtree(wh.parent / "exports")


def _dashboard_empty(raw, wh):
    (wh.parent / "dashboard" / "index.html").unlink()


def _warehouse_missing(raw, wh):
    wh.unlink()


def _warehouse_unreadable(raw, wh):
    wh.write_bytes(b"not a duckdb file" * 100)


def _raw_missing(raw, wh):
    shutil.rmtree(raw)


def _raw_empty(raw, wh):
    for p in raw.iterdir():
        p.unlink()


@pytest.mark.parametrize("change", [
    _new_file, _changed_file, _earlier_version_back, _exports_missing, _dashboard_empty,
    _warehouse_missing, _warehouse_unreadable, _raw_empty,
], ids=lambda f: f.__name__.strip("_"))
def test_anything_else_runs_the_flow(tmp_path, fake_flow, capsys, change):
    raw, warehouse = _published(tmp_path)
    change(raw, warehouse)
    assert cli.main(_run_args(raw, warehouse)) == cli.EXIT_OK
    assert fake_flow == [(str(raw), str(warehouse))]
    assert "nothing changed" not in capsys.readouterr().out


@pytest.mark.parametrize("how", ["flag", "env"])
def test_always_run_forces_the_flow(tmp_path, fake_flow, monkeypatch, how):
    raw, warehouse = _published(tmp_path)
    extra = ["--always-run"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("DXPLAN_ALWAYS_RUN", "1")
    assert cli.main(_run_args(raw, warehouse, *extra)) == cli.EXIT_OK
    assert len(fake_flow) == 1


def test_a_missing_raw_folder_is_a_usage_error_before_any_flow(tmp_path, fake_flow, capsys):
    raw, warehouse = _published(tmp_path)
    _raw_missing(raw, warehouse)
    assert cli.main(_run_args(raw, warehouse)) == cli.EXIT_ERROR
    assert fake_flow == []
    assert "does not exist" in capsys.readouterr().err


def test_fast_path_says_what_the_flow_says(tmp_path):
    """The fast path uses the flow's wording for an unchanged file."""
    from dxplan.discover import SourceFile
    from dxplan.load import unchanged_result

    src = SourceFile(path=tmp_path / "r.txt", size=1, sha256="0" * 64)
    said = unchanged_result(src, None)
    assert (said.message_key, said.message) == (cli.UNCHANGED_KEY, i18n.t_in("en", cli.UNCHANGED_KEY))


# --------------------------------------------------------------------------- when to start early


@pytest.fixture
def no_prefect_yet(monkeypatch):
    monkeypatch.delitem(sys.modules, "prefect", raising=False)


def _profiles(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "profiles.toml").write_text(text)


def test_start_early_with_prefects_defaults(tmp_path, no_prefect_yet):
    # no profiles.toml: Prefect's bundled default profile ("ephemeral") applies
    assert prefect_server.should_start_early({"PREFECT_HOME": str(tmp_path / "h")}, tmp_path)


@pytest.mark.parametrize("profiles, environ, expected", [
    ('active = "local"\n[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n',
     {}, False),
    ('active = "local"\n[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n'
     '[profiles.eph]\nPREFECT_SERVER_EPHEMERAL_ENABLED = "true"\n', {"PREFECT_PROFILE": "eph"}, True),
    ('active = "bare"\n[profiles.bare]\n', {}, False),  # ephemeral mode off: Prefect errors
    ('active = "bare"\n[profiles.bare]\n', {"PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "1"}, True),
    ('active = "missing"\n', {}, True),  # unknown profile: the bundled default
    ("this is [not toml", {}, False),
    ("", {"PREFECT_API_URL": "http://127.0.0.1:4200/api"}, False),
    ("", {"PREFECT_SERVER_EPHEMERAL_ENABLED": "false"}, False),
    ("", {"PREFECT_TEST_MODE": "1"}, False),
], ids=["profile-api-url", "env-selects-profile", "ephemeral-off", "env-allows-ephemeral",
        "unknown-active", "broken-file", "env-api-url", "env-ephemeral-off", "test-mode"])
def test_start_early_follows_profile_and_environment(tmp_path, no_prefect_yet, profiles,
                                                     environ, expected):
    home = tmp_path / "h"
    _profiles(home, profiles)
    environ = {"PREFECT_HOME": str(home), **environ}
    assert prefect_server.should_start_early(environ, tmp_path) is expected


@pytest.mark.parametrize("name, text", [
    (".env", "PREFECT_API_URL=http://127.0.0.1:4200/api\n"),
    ("prefect.toml", "[api]\nurl = 'http://127.0.0.1:4200/api'\n"),
    ("pyproject.toml", "[tool.prefect]\nprofiles_path = 'p.toml'\n"),
])
def test_no_early_start_when_the_working_dir_configures_prefect(tmp_path, no_prefect_yet,
                                                                name, text):
    (tmp_path / name).write_text(text)
    assert not prefect_server.should_start_early({"PREFECT_HOME": str(tmp_path / "h")}, tmp_path)


def test_no_early_start_once_prefect_is_imported(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "prefect", types.ModuleType("prefect"))
    assert not prefect_server.should_start_early({"PREFECT_HOME": str(tmp_path)}, tmp_path)


# --------------------------------------------------------------------------- the server process


class _Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


def _fake_server(scripts: list[str], ports: list[int], seen: list[dict]):
    def popen(cmd, **kwargs):
        seen.append({"cmd": cmd, "env": kwargs["env"]})
        return subprocess.Popen([sys.executable, "-c", scripts[len(seen) - 1]], **kwargs)

    it = iter(ports)
    return prefect_server.TemporaryServer(
        prefect_server._prefect_package_dir(), popen=popen, port_finder=lambda: next(it))


def test_server_moves_to_another_port_when_its_port_was_taken(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://set-for-the-client/api")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    seen: list[dict] = []
    taken = 1  # nothing listens on port 1: the health check fails until the restart
    server = _fake_server(["import sys; sys.exit(3)", "import time; time.sleep(60)"],
                          [taken, httpd.server_address[1]], seen)
    try:
        server.start()
        proc = None
        server.wait_until_ready(timeout_s=20)
        proc = server.process
        assert server.port == httpd.server_address[1] and server.moved
        assert len(seen) == 2
    finally:
        server.stop()
        httpd.shutdown()
    assert proc is not None and proc.poll() is not None  # stopped
    cmd, env = seen[0]["cmd"], seen[0]["env"]
    assert cmd[1:3] == ["-m", "uvicorn"]
    assert cmd[cmd.index("--factory") + 1] == "prefect.server.api.server:create_app"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "1"
    assert env["PREFECT_UI_ENABLED"] == "0" and env["PREFECT__SERVER_EPHEMERAL"] == "1"
    assert env["PREFECT__SERVER_FINAL"] == "1" and "PREFECT_API_URL" not in env


def test_server_crash_is_reported_with_its_output(tmp_path):
    server = _fake_server(["import sys; print('boom: no database'); sys.exit(1)"],
                          [prefect_server.find_free_port()], [])
    server.start()
    with pytest.raises(prefect_server.ServerStartError, match=r"code 1(.|\n)*boom: no database"):
        server.wait_until_ready(timeout_s=20)


def test_server_start_times_out_and_is_stopped():
    server = _fake_server(["import time; print('still booting', flush=True); time.sleep(60)"],
                          [prefect_server.find_free_port()], [])
    server.start()
    proc = server.process
    with pytest.raises(prefect_server.ServerStartError, match="did not answer"):
        server.wait_until_ready(timeout_s=1)
    assert proc.wait(timeout=5) is not None


def test_prefect_uses_the_moved_server(monkeypatch):
    from prefect.settings import PREFECT_API_URL

    # set, then delete: monkeypatch then restores the variable's state at teardown, even
    # though prefect_settings_for() sets it (a leak would send later subprocesses to a
    # server that is gone)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:1/api")
    monkeypatch.delenv("PREFECT_API_URL")
    server = prefect_server.TemporaryServer(prefect_server._prefect_package_dir())
    server.port, server.first_api_url = 8765, "http://127.0.0.1:8123/api"
    with prefect_server.prefect_settings_for(server):
        assert PREFECT_API_URL.value() == "http://127.0.0.1:8765/api"


def _prefect_db(home: Path, revision: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(home / "prefect.db")
    try:
        con.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR)")
        con.execute("DELETE FROM alembic_version")
        con.execute("INSERT INTO alembic_version VALUES (?)", [revision])
        con.commit()
    finally:
        con.close()


def test_migrations_are_skipped_only_for_a_database_this_prefect_migrated(tmp_path,
                                                                         monkeypatch):
    home = tmp_path / "home"
    env = {"PREFECT_HOME": str(home)}
    _prefect_db(home, "rev-a")
    assert not prefect_server.migrated_already(env, {})  # never seen: migrate
    prefect_server.remember_migrated(env, {})
    assert prefect_server.migrated_already(env, {})
    server = prefect_server.TemporaryServer(prefect_server._prefect_package_dir(), profile={})
    monkeypatch.setenv("PREFECT_HOME", str(home))
    assert server.environment()["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] == "false"

    _prefect_db(home, "rev-b")  # the database changed (reset, restored, another Prefect)
    assert not prefect_server.migrated_already(env, {})
    _prefect_db(home, "rev-a")
    monkeypatch.setattr(prefect_server, "_installed_prefect", lambda: "9.9.9")  # an upgrade
    assert not prefect_server.migrated_already(env, {})
    monkeypatch.undo()
    assert prefect_server.migrated_already(env, {})
    # any database setting of the user's: Prefect decides, as always
    assert not prefect_server.migrated_already(
        {**env, "PREFECT_SERVER_DATABASE_CONNECTION_URL": "postgresql+asyncpg://x/y"}, {})
    assert not prefect_server.migrated_already(
        env, {"PREFECT_API_DATABASE_MIGRATE_ON_START": "true"})
    assert "PREFECT_SERVER_DATABASE_MIGRATE_ON_START" not in prefect_server.TemporaryServer(
        prefect_server._prefect_package_dir()).environment()  # no profile given: no change


def test_no_heartbeats_to_a_server_that_ends_with_the_run():
    """Heartbeats let a server notice crashed runs; the temporary server ends with the
    run, and Prefect waits up to a second for the heartbeat thread when a flow ends."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    server = prefect_server.TemporaryServer(prefect_server._prefect_package_dir())
    server.port = 8765
    server.first_api_url = server.api_url  # not moved
    before = PREFECT_API_URL.value()
    with prefect_server.prefect_settings_for(server):
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
        assert PREFECT_API_URL.value() == before
    assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is not None


# --------------------------------------------------------------------------- end to end


def _servers_for(prefect_home: Path, program: bytes = b"prefect.server.api.server:create_app",
                 ) -> list[int]:
    """pids of Prefect API servers (uvicorn create_app), or of another ``program``,
    started with this PREFECT_HOME."""
    marker = f"PREFECT_HOME={prefect_home}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if program not in (entry / "cmdline").read_bytes():
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_run_with_early_server_publishes_and_leaves_no_server(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    warehouse = tmp_path / "warehouse" / "dxplan.duckdb"
    home = tmp_path / "prefect-home"
    env = _clean_env(PREFECT_HOME=str(home), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    cmd = [str(BIN / "dxplan"), *_run_args(raw, warehouse)]

    # 1. a cold run: our server, not Prefect's; it publishes; nothing is left running
    proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.startswith("dxplan: 1 published, 0 unchanged, 0 rejected")
    assert "Starting temporary server" not in proc.stderr  # Prefect did not start its own
    assert "Beginning flow run" in proc.stderr and "View at" not in proc.stderr
    assert _servers_for(home) == []
    assert _servers_for(home, b"dxplan.dbt_worker") == []  # dbt's worker ended with the run
    assert not list((warehouse.parent / ".dbt").glob(".parse-*"))  # its parse folder too
    # the flow's last log line reached the server before it was stopped
    con = sqlite3.connect(home / "prefect.db")
    try:
        finished = con.execute("SELECT count(*) FROM log WHERE message LIKE "
                               "'Finished in state Completed%' AND task_run_id IS NULL").fetchone()
    finally:
        con.close()
    assert finished == (1,)

    # 2. the same again: the fast path, no flow run, no server
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "1 unchanged" in proc.stdout
    assert "no Prefect flow run was started" in proc.stdout
    assert time.monotonic() - started < 5

    # 3. a run killed with SIGKILL takes its server with it (PR_SET_PDEATHSIG)
    run = subprocess.Popen([*cmd, "--always-run"], env=env, cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: _servers_for(home), 30), "the server never started"
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        assert _wait_for(lambda: not _servers_for(home), 15), "the server outlived the run"
    finally:
        if run.poll() is None:
            run.kill()
        for pid in _servers_for(home):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("version, checked", [
    ("3.9.1", True), ("3.4.0", True), ("3.10.0", False), ("4.0.0", False), ("3.3.9", False),
    ("3.9.2rc1", True), ("nonsense", False),
])
def test_early_start_only_on_checked_prefect_versions(version, checked):
    assert prefect_server.prefect_is_checked(version) is checked


def test_an_unchecked_prefect_starts_its_own_server(monkeypatch):
    monkeypatch.setattr(prefect_server, "prefect_is_checked", lambda version=None: False)
    assert prefect_server.start_early() is None
    assert not prefect_server.should_start_early({}, Path("/"))


def test_marts_of_another_dbt_project_version_run_the_flow(tmp_path, fake_flow):
    """After an upgrade that changed the dbt project, an unchanged raw/ still rebuilds."""
    from dxplan.settings import load_settings
    from dxplan.transform import project_fingerprint

    raw, warehouse = _published(tmp_path)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.dim_kpi (kpi_no INTEGER)")
    con.execute("CREATE SCHEMA audit; CREATE TABLE audit.dbt_builds (fingerprint VARCHAR, "
                "run_id VARCHAR, built_at TIMESTAMP, models INTEGER, tests INTEGER)")
    current = project_fingerprint(load_settings(raw, warehouse).dbt_project_dir)
    con.execute("INSERT INTO audit.dbt_builds VALUES (?, 'r1', now(), 1, 1)", [current])
    con.close()
    assert cli.main(_run_args(raw, warehouse)) == cli.EXIT_OK
    assert fake_flow == []  # the same project: nothing to do

    con = duckdb.connect(str(warehouse))
    con.execute("INSERT INTO audit.dbt_builds VALUES ('an-older-project', 'r2', "
                "now() + INTERVAL 1 HOUR, 1, 1)")
    con.close()
    assert cli.main(_run_args(raw, warehouse)) == cli.EXIT_OK
    assert len(fake_flow) == 1
