"""Transform: run ``dbt build`` in-process, once per run, against the build file.

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
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


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


def dbt_build(
    database: Path,
    project_dir: Path,
    target_dir: Path,
    log_dir: Path,
    *,
    command: str = "build",
    unit_tests: bool = False,
    progress: Callable[[int, int], None] | None = None,
    manifest=None,
) -> TransformResult:
    """Run ``dbt <command>`` on ``database``; raise TransformError when any node fails.

    Unit tests (fixed inputs, they test the SQL, not the data) run in ``make test``
    (tests/dbt), not in every production build, unless ``unit_tests``.
    ``progress(done, total)`` is called as nodes finish, about every tenth of the build.
    ``manifest``: the project already parsed (:class:`EarlyParse`), so dbt skips parsing.
    """
    from dbt.cli.main import dbtRunner  # heavy import: only on the path that needs it

    database = Path(database).resolve()
    args = [command, *_prepare(database, project_dir, target_dir, log_dir)]
    if command in ("build", "test") and not unit_tests:
        args += ["--exclude", "test_type:unit"]
    started = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(database.parent)  # DXPLAN_DBT_DB is relative: see the module docstring
    try:
        callbacks = [NodeProgress(progress)] if progress else []
        with _few_collections():
            res = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(args)
    finally:
        os.chdir(cwd)
        release_duckdb()
    elapsed = time.perf_counter() - started
    result = TransformResult(seconds=elapsed)
    nodes = getattr(res.result, "results", None) or []
    for node_result in nodes:
        node = getattr(node_result, "node", None)
        resource = getattr(node, "resource_type", "")
        status = str(getattr(node_result, "status", ""))
        if str(resource).endswith("test") or str(resource).endswith("unit_test"):
            result.tests += 1
        elif str(resource).endswith("model"):
            result.models += 1
        if status.lower() in {"error", "fail", "runtimeerr", "runstatus.error", "teststatus.fail"}:
            name = getattr(node, "unique_id", getattr(node, "name", "?"))
            result.failures.append(f"{name}: {status}: {getattr(node_result, 'message', '')}")
    if not res.success or res.exception is not None:
        detail = "; ".join(result.failures) or repr(res.exception)
        raise TransformError(f"dbt {command} failed: {detail}")
    _keep_partial_parse(target_dir / PARTIAL_PARSE, _shared_parse(project_dir))
    return result


@contextlib.contextmanager
def _few_collections(threshold: tuple[int, int, int] = (50_000, 50, 100)):
    """dbt reads its parse and builds its manifest as millions of small objects; with
    CPython's default thresholds the cyclic GC re-scans the whole heap of the run (Prefect,
    GX, pandas) many times meanwhile, so collections are rarer while dbt runs. Nothing is
    frozen here: ``dxplan serve`` runs many builds in one process, and frozen garbage
    would never be collected (the CLI freezes only what its imports made)."""
    import gc

    old = gc.get_threshold()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*old)


class EarlyParse:
    """``dbt parse`` of the project in a background thread, started while the run still
    reads and validates its files, so that :func:`dbt_build` gets the manifest ready
    (``dbtRunner(manifest=...)``, dbt's public way to skip parsing). Parsing reads the
    project and its partial parse, never the database. Any failure only means that
    :meth:`manifest` returns None and dbt parses as usual."""

    def __init__(self, database: Path, project_dir: Path, target_dir: Path,
                 log_dir: Path) -> None:
        import threading

        self._args = ["parse", *_prepare(Path(database).resolve(), project_dir, target_dir,
                                         log_dir), *NO_ARTIFACTS]
        self._manifest = None
        self._thread = threading.Thread(target=self._parse, name="dbt-parse", daemon=True)
        self._thread.start()

    def _parse(self) -> None:
        try:
            from dbt.cli.main import dbtRunner

            res = dbtRunner().invoke(self._args)
            if res.success and res.exception is None:
                self._manifest = res.result
        except Exception:  # noqa: BLE001 - the build parses by itself then
            self._manifest = None

    def manifest(self, timeout: float = 600.0):
        """The parsed project (waits for the parse), or None."""
        self._thread.join(timeout)
        return None if self._thread.is_alive() else self._manifest


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


def _prepare(database: Path, project_dir: Path, target_dir: Path, log_dir: Path) -> list[str]:
    """Directories, environment and partial-parse seed for a dbt call; its common flags."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ["DXPLAN_DBT_DB"] = database.name  # relative to database.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    _seed_partial_parse(_shared_parse(project_dir), target_dir / PARTIAL_PARSE)
    project = str(Path(project_dir).resolve())
    return [
        "--project-dir", project,
        "--profiles-dir", project,
        "--target-path", str(target_dir.resolve()),
        "--log-path", str(log_dir.resolve()),
        "--quiet",
    ]


def _seed_partial_parse(shared: Path | None, local: Path) -> None:
    """Give a warehouse without a parse of its own the last good one (dbt checks it)."""
    if shared is None or local.exists() or not shared.exists():
        return
    with contextlib.suppress(OSError):
        shutil.copyfile(shared, local)


def _keep_partial_parse(local: Path, shared: Path | None) -> None:
    """Publish this build's parse for the next new warehouse (atomically: runs on other
    warehouses may read it at the same time)."""
    if shared is None or not local.exists():
        return
    with contextlib.suppress(OSError):
        shared.parent.mkdir(parents=True, exist_ok=True)
        tmp = shared.with_name(f".{shared.name}.{os.getpid()}.tmp")
        shutil.copyfile(local, tmp)
        os.replace(tmp, shared)


def release_duckdb() -> None:
    """Let go of the database dbt-duckdb keeps open in this process after ``invoke``.

    Otherwise the build file stays open after it has been renamed into place, and a
    long-lived process (``dxplan serve``) would reopen the stale instance next run.
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
