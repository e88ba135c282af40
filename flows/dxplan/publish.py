"""Publish: one writer at a time, build into a fresh file, swap it in atomically.

BI readers open ``warehouse/dxplan.duckdb`` read-only. The pipeline never writes
to that file: it copies it to a build file next to it, does all its work there,
and only when everything passed replaces the published file with ``os.replace``
(atomic on POSIX). A crash or kill at any moment leaves the last good warehouse;
readers that already have the old file open keep reading it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import filelock

#: on-disk format of a new warehouse file (readable by DuckDB >= 1.0)
STORAGE_VERSION = "v1.0.0"


class WarehouseBusy(RuntimeError):
    """Another dxplan run holds the writer lock."""


@contextlib.contextmanager
def writer_lock(lock_path: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path``; wait up to ``timeout_s``.

    ``filelock`` takes an OS lock on the file (``flock`` on POSIX, ``msvcrt.locking`` on
    Windows), so the lock goes away with a crashed or killed process; nothing POSIX-only
    is imported here.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(lock_path, thread_local=False)
    try:
        lock.acquire(timeout=max(timeout_s, 0.0), poll_interval=0.2)
    except filelock.Timeout:
        raise WarehouseBusy(
            f"another dxplan run is writing {lock_path.parent} "
            f"(lock {lock_path.name} held for more than {timeout_s:.0f} s); "
            "nothing was changed, try again later"
        ) from None
    try:
        yield
    finally:
        lock.release()


def write_text_atomic(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` through a temporary file and a rename: a reader sees
    the old file or the new one, never half of it."""
    import tempfile

    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f"{target.suffix}.tmp",
                               dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def build_path_for(warehouse: Path) -> Path:
    """One fixed name (the writer lock serialises runs): dbt can reuse its partial parse."""
    return warehouse.with_name(f".{warehouse.name}.build-0")


def clean_stale_builds(warehouse: Path) -> None:
    """Remove build files left by a crashed run (call under the writer lock)."""
    for stale in warehouse.parent.glob(f".{warehouse.name}.build-*"):
        stale.unlink(missing_ok=True)


def prepare_build(warehouse: Path) -> Path:
    """A private copy of the published warehouse (or nothing, for the first build)."""
    build = build_path_for(warehouse)
    build.unlink(missing_ok=True)
    Path(f"{build}.wal").unlink(missing_ok=True)
    if warehouse.exists():
        shutil.copyfile(warehouse, build)
    else:
        # the first build fixes the storage format for good: keep it readable by the
        # DuckDB 1.x bundled in BI tools (Metabase's driver, Evidence, DBeaver)
        duckdb.connect(str(build), config={"storage_compatibility_version": STORAGE_VERSION}).close()
    return build


def swap_in(build: Path, warehouse: Path) -> None:
    """Checkpoint the build file and atomically make it the published warehouse."""
    con = duckdb.connect(str(build))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    wal = Path(f"{build}.wal")
    if wal.exists():  # CHECKPOINT folds the WAL in; a leftover would be a bug
        raise RuntimeError(f"build file still has a WAL after checkpoint: {wal}")
    fd = os.open(build, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(build, warehouse)
    if os.name == "posix":  # make the rename durable; Windows cannot open a directory
        dir_fd = os.open(warehouse.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def discard(build: Path) -> None:
    build.unlink(missing_ok=True)
    Path(f"{build}.wal").unlink(missing_ok=True)


@dataclass(frozen=True)
class Published:
    """What the published warehouse holds, read in one read-only connection."""

    #: sha256 -> {load_id, report_fiscal_year, is_current} of every load in the file
    loads: dict[str, dict]
    #: the dbt project fingerprint of the marts' last build; UNRECORDED for marts built
    #: before dxplan recorded it; None when the file has no marts at all
    built: str | None


def read_published(warehouse: Path) -> Published:
    """The loads and the marts' build of the published ``warehouse``, one connection."""
    if not warehouse.exists():
        return Published({}, None)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return Published(_loads(con), _built(con))
    finally:
        con.close()


def _loads(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'staging' AND table_name = 'loads'"
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute(
        "SELECT sha256, load_id, report_fiscal_year, is_current FROM staging.loads"
    ).fetchall()
    return {
        sha: {"load_id": lid, "report_fiscal_year": year, "is_current": cur}
        for sha, lid, year, cur in rows
    }


#: Published.built of marts built before builds were recorded: never equal to a fingerprint
UNRECORDED = "unrecorded"


def _built(con: duckdb.DuckDBPyConnection) -> str | None:
    schemas = {r[0] for r in con.execute(
        "SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
    if "marts" not in schemas:
        return None
    if "audit" in schemas:
        try:
            row = con.execute("SELECT fingerprint FROM audit.dbt_builds "
                              "ORDER BY built_at DESC LIMIT 1").fetchone()
        except duckdb.CatalogException:  # audit without dbt_builds: an older warehouse
            return UNRECORDED
        if row:
            return row[0]
    return UNRECORDED


def split_published(sources: list, known: dict[str, dict]) -> tuple[list, list]:
    """``(unchanged, todo)``: ``unchanged`` holds ``(source, entry)`` for each file whose
    sha256 is the current load of its report year (and for repeats of a sha256 seen
    before, ``entry`` then possibly ``None``); ``todo`` the files to parse. ``known`` is
    ``read_published(...).loads``. Shared by the flow and the CLI's no-op check."""
    unchanged: list = []
    todo: list = []
    seen: set[str] = set()
    for src in sources:
        entry = known.get(src.sha256)
        if (entry and entry["is_current"]) or src.sha256 in seen:
            unchanged.append((src, entry))
        else:
            todo.append(src)
        seen.add(src.sha256)
    return unchanged, todo


def write_audit(con: duckdb.DuckDBPyConnection, results: list, run_id: str) -> None:
    """One ``audit.load_log`` row per file of the run (``dxplan.load.FileResult``)."""
    from dxplan.load import load_id_for

    if not results:
        return
    con.executemany(
        "INSERT INTO audit.load_log "
        "(load_id, run_id, source_path, sha256, report_fiscal_year, file_format, status, "
        " rows_in, started_at, finished_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                r.load_id or (load_id_for(r.sha256) if r.sha256 else f"rejected-{run_id}"),
                run_id, r.source_path, r.sha256, r.report_fiscal_year, r.file_format, r.status,
                r.rows_in, r.started_at, r.finished_at or datetime.now(), r.message,
            ]
            for r in results
        ],
    )
