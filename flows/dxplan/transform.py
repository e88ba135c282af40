"""Transform: run ``dbt build`` once per run against the build file, in a dbt process.

:class:`DbtWorker` starts ``python -m dxplan.dbt_worker`` (dbt's public ``dbtRunner``) when
the run knows it has files to load: the worker imports dbt and parses the project on the
second core while this process stages and validates, then builds when asked, writes the
docs page and ends. This process never imports dbt, and never holds the build file while
dbt does (the worker lets go of it after every command).

dbt spends ~5 s parsing the project when it cannot reuse an earlier parse ("partial
parsing", ``partial_parse.msgpack`` in the target directory). It reuses one only when
the profile is the same, and the profile holds the database path, so dbt is pointed at
the build file by a path *relative* to the warehouse directory (the same for every
warehouse called ``dxplan.duckdb``), and the last good parse is kept in
``dbt_project/target/`` for warehouses that have none yet (a new one: the cold run).
dbt checks every file's hash, its version, vars and profile before it reuses a parse.
An installed package's dbt project (``dxplan/_bundle/dbt_project``, maybe read-only) is
never written to: there dbt's target and logs stay under the warehouse folder only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class TransformError(RuntimeError):
    """dbt build failed; the message lists the failing nodes."""


#: the early parse writes no manifest.json (about 0.9 s): the build writes the one the
#: docs page reads; the partial parse that makes the next run fast is written all the same
NO_ARTIFACTS = ("--no-write-json",)


@dataclass
class TransformResult:
    seconds: float
    models: int = 0
    tests: int = 0
    failures: list[str] = field(default_factory=list)


class DbtWorker:
    """dbt in a process of its own (``python -m dxplan.dbt_worker``), for one build file.

    Started early, it imports dbt and parses the project on the second core while this
    process stages and validates; :meth:`build` then runs with that parse. Its DuckDB
    connection goes away with the process (and after every command), so the build file
    is free again as soon as an answer arrives. Use as a context manager, or :meth:`close`.
    """

    def __init__(self, database: Path, project_dir: Path, target_dir: Path, log_dir: Path,
                 popen: Callable[..., subprocess.Popen] = subprocess.Popen) -> None:
        import tempfile

        from dxplan.prefect_server import die_with_parent

        self.database = Path(database).resolve()
        self.project_dir, self.target_dir = Path(project_dir), Path(target_dir)
        self.log_dir = Path(log_dir)
        self.target_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.common = _flags(self.project_dir, self.target_dir, self.log_dir)
        # the parse writes its partial parse into a folder of its own: the worker may start
        # before the run holds the warehouse's writer lock (start_spare)
        self.parse_dir = Path(tempfile.mkdtemp(prefix=".parse-", dir=self.target_dir.parent))
        own = self.target_dir / PARTIAL_PARSE
        _seed_partial_parse(own if own.exists() else _shared_parse(self.project_dir),
                            self.parse_dir / PARTIAL_PARSE)
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        env["DXPLAN_DBT_DB"] = self.database.name  # the profile's path, relative to cwd
        env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        try:
            self.process = popen(
                [sys.executable, "-m", "dxplan.dbt_worker"],
                cwd=self.database.parent,  # DXPLAN_DBT_DB is relative: see the module docstring
                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, encoding="utf-8", preexec_fn=die_with_parent(),
            )
        except OSError:
            shutil.rmtree(self.parse_dir, ignore_errors=True)
            raise
        self._pending = 0
        parse = ["parse", *_flags(self.project_dir, self.parse_dir, self.log_dir), *NO_ARTIFACTS]
        self._request({"args": parse})  # answered later

    def serves(self, database: Path, project_dir: Path, target_dir: Path) -> bool:
        """Was this worker started for these paths, and is it still running?"""
        return (self.process.poll() is None and self.database == Path(database).resolve()
                and self.project_dir.resolve() == Path(project_dir).resolve()
                and self.target_dir.resolve() == Path(target_dir).resolve())

    def __enter__(self) -> DbtWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise TransformError(f"the dbt worker is gone ({self._exit_text()}): {exc}") from exc
        self._pending += 1

    def _answer(self, progress: Callable[[int, int], None] | None = None) -> dict:
        for line in self.process.stdout:
            message = json.loads(line)
            if "progress" in message:
                if progress is not None:
                    progress(*message["progress"])
                continue
            self._pending -= 1
            return message["done"]
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)  # its output ended: it is ending
        raise TransformError(f"the dbt worker ended without an answer ({self._exit_text()})")

    def _exit_text(self) -> str:
        code = self.process.poll()
        return "still running" if code is None else f"exit code {code}"

    def invoke(self, args: list[str], progress: Callable[[int, int], None] | None = None) -> dict:
        """Run ``dbt <args>`` (the common flags added) with the parse made at the start;
        returns the worker's answer (``success``, ``exception``, ``nodes``)."""
        while self._pending:  # the early parse: when it failed, dbt parses by itself
            self._answer()
        self._request({"args": [*args, *self.common], "progress": progress is not None})
        return self._answer(progress)

    def build(self, *, command: str = "build", unit_tests: bool = False,
              progress: Callable[[int, int], None] | None = None) -> TransformResult:
        """``dbt <command>`` on the database; raise TransformError when any node fails.

        Unit tests (fixed inputs, they test the SQL, not the data) run in ``make test``
        (tests/dbt), not in every production build, unless ``unit_tests``.
        ``progress(done, total)`` is called as nodes finish, about every tenth of the build.
        """
        args = [command]
        if command in ("build", "test") and not unit_tests:
            args += ["--exclude", "test_type:unit"]
        started = time.perf_counter()
        answer = self.invoke(args, progress)
        result = TransformResult(seconds=time.perf_counter() - started)
        for node in answer["nodes"]:
            resource, status = node["resource_type"], node["status"]
            if resource.endswith("test") or resource.endswith("unit_test"):
                result.tests += 1
            elif resource.endswith("model"):
                result.models += 1
            if status.lower() in {"error", "fail", "runtimeerr", "runstatus.error",
                                  "teststatus.fail"}:
                result.failures.append(f"{node['unique_id']}: {status}: {node['message']}")
        if not answer["success"]:
            detail = "; ".join(result.failures) or answer["exception"] or "no detail"
            raise TransformError(f"dbt {command} failed: {detail}")
        # the parse that built: the warehouse's own for its next run, the shared one for
        # new warehouses
        for keep in (self.target_dir / PARTIAL_PARSE, _shared_parse(self.project_dir)):
            _keep_partial_parse(self.parse_dir / PARTIAL_PARSE, keep)
        return result

    def close(self, timeout_s: float = 10.0) -> None:
        """Let the worker end (it may still be parsing), or end it. Idempotent."""
        proc = self.process
        if proc.poll() is None:
            with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                proc.stdin.write(json.dumps({"exit": True}) + "\n")
                proc.stdin.close()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                stream.close()
        shutil.rmtree(self.parse_dir, ignore_errors=True)


#: a worker started ahead of the run (start_spare), waiting to be taken by it
_SPARE: list[DbtWorker] = []


def start_spare(database: Path, project_dir: Path, target_dir: Path, log_dir: Path,
                **worker: Any) -> None:
    """Start the worker for ``database`` now, so that it imports dbt and parses while the
    run is still starting (``dxplan run`` while Prefect's server boots); the run takes it
    with :func:`take_worker`. Not taken, it ends with :func:`close_spare`."""
    close_spare()
    _SPARE.append(DbtWorker(database, project_dir, target_dir, log_dir, **worker))


def take_worker(database: Path, project_dir: Path, target_dir: Path, log_dir: Path,
                **worker: Any) -> DbtWorker:
    """The spare worker if it was started for these paths and still runs, else a new one."""
    while _SPARE:
        spare = _SPARE.pop()
        if spare.serves(database, project_dir, target_dir):
            return spare
        spare.close()
    return DbtWorker(database, project_dir, target_dir, log_dir, **worker)


def close_spare() -> None:
    """End a spare worker nobody took (idempotent)."""
    while _SPARE:
        _SPARE.pop().close()


class NodeProgress:
    """A dbt event callback (dbtRunner's public ``callbacks``): counts finished nodes
    and reports ``(done, total)`` at every tenth of the build and at its end."""

    def __init__(self, report: Callable[[int, int], None], steps: int = 10) -> None:
        self.report, self.steps = report, steps
        self.total = self.done = self.shown = 0
        self.finished: set[str] = set()

    def __call__(self, event) -> None:
        name = event.info.name
        if name == "LogStartLine" and not self.total:
            self.total = int(getattr(event.data, "total", 0) or 0)
        elif name == "NodeFinished" and self.total:
            node = getattr(getattr(event.data, "node_info", None), "unique_id", "") or ""
            if node in self.finished or len(self.finished) >= self.total:
                return  # a node reported twice (dbt reports some nodes more than once)
            self.finished.add(node)
            self.done = len(self.finished)
            step = self.done * self.steps // self.total
            if step > self.shown or self.done == self.total:
                self.shown = step
                self.report(self.done, self.total)


PARTIAL_PARSE = "partial_parse.msgpack"
#: what a build depends on besides the data: a change here means the marts must be rebuilt
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def project_fingerprint(project_dir: Path) -> str:
    """sha256 over the dbt project's own files (not target/ or logs/): recorded with each
    build, so a run after an upgrade that changed the models rebuilds the marts even when
    no report changed."""
    import hashlib

    root = Path(project_dir)
    digest = hashlib.sha256()
    for part in PROJECT_PARTS:
        base = root / part
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def record_build(con, fingerprint: str, run_id: str, result: TransformResult) -> None:
    """Note in the build file which dbt project built its marts (audit.dbt_builds)."""
    con.execute("INSERT INTO audit.dbt_builds VALUES (?, ?, now(), ?, ?)",
                [fingerprint, run_id, result.models, result.tests])

def _shared_parse(project_dir: Path) -> Path | None:
    """The last good parse, for warehouses without one of their own; ``None`` for the
    dbt project shipped inside an installed package (never written to)."""
    from dxplan.workdir import is_bundled

    if is_bundled(project_dir):
        return None
    return Path(project_dir) / "target" / PARTIAL_PARSE


def _flags(project_dir: Path, target_dir: Path, log_dir: Path) -> list[str]:
    project = str(Path(project_dir).resolve())
    return [
        "--project-dir", project,
        "--profiles-dir", project,
        "--target-path", str(target_dir.resolve()),
        "--log-path", str(log_dir.resolve()),
        "--quiet",
    ]


def _seed_partial_parse(shared: Path | None, local: Path) -> None:
    """Start a parse from the last good one (dbt checks it before it reuses anything)."""
    if shared is None or local.exists() or not shared.exists():
        return
    with contextlib.suppress(OSError):
        shutil.copyfile(shared, local)


def _keep_partial_parse(local: Path, shared: Path | None) -> None:
    """Keep this build's parse for the next run (atomically: runs on other warehouses may
    read it at the same time)."""
    if shared is None or not local.exists():
        return
    with contextlib.suppress(OSError):
        shared.parent.mkdir(parents=True, exist_ok=True)
        tmp = shared.with_name(f".{shared.name}.{os.getpid()}.tmp")
        shutil.copyfile(local, tmp)
        os.replace(tmp, shared)


def release_duckdb() -> None:
    """Let go of the database dbt-duckdb keeps open in this process after ``invoke``
    (the worker after each command; tests that run dbt in their own process).

    Otherwise the file stays open after it has been renamed into place, and a process
    running dbt again would reopen the stale instance.
    Public API only: dbt-duckdb's ``close_all_connections`` drops its environment,
    dbt's ``reset_adapters`` drops the adapter that still holds its connections, and
    the environment closes its DuckDB database when it is collected.
    """
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    DuckDBConnectionManager.close_all_connections()
    reset_adapters()
    gc.collect()
