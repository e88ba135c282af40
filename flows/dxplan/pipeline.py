"""The ``dxplan-pipeline`` Prefect flow: read this file top to bottom.

    discover files in raw/          (skip those whose sha256 is already published)
    parse every new file            (a file that cannot be read is rejected here)
    stage the parsed reports, oldest report year first, in one transaction;
    validate them with GX in one run; commit what passed (a rejected file is rolled
                                    back, see stage_and_validate)
    dbt build, once             (only when something new was staged, or on the first build)
    audit rows, swap the build file in atomically
    the same marts to PostgreSQL    (only with DXPLAN_POSTGRES_URL: dxplan.postgres)
    after publishing: data docs, exports, dashboard, Prefect artifacts

Everything is written into a private copy of the warehouse; the published file
is replaced only at the end, so a rejected file or a crash never reaches readers.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from dxplan import publish, stage
from dxplan.discover import SourceFile, discover
from dxplan.models import ParsedReport, ParseError
from dxplan.settings import FLOW_NAME, Settings, load_settings
from dxplan.transform import TransformError, TransformResult, dbt_build

PUBLISHED, UNCHANGED, REJECTED = "published", "unchanged", "rejected"


@dataclass
class FileResult:
    source_path: str
    sha256: str | None
    status: str  # published | unchanged | rejected
    started_at: datetime
    finished_at: datetime | None = None
    load_id: str | None = None
    report_fiscal_year: int | None = None
    file_format: str | None = None
    rows_in: int | None = None
    kpis_in: int | None = None
    message: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    run_id: str
    warehouse: str
    files: list[FileResult]
    rebuilt: bool
    seconds: float
    transform: dict | None = None
    targets: list[dict] = field(default_factory=list)  # dxplan.postgres: other publish targets

    @property
    def ok(self) -> bool:
        return all(f.status != REJECTED for f in self.files)

    def counts(self) -> dict[str, int]:
        out = {PUBLISHED: 0, UNCHANGED: 0, REJECTED: 0}
        for f in self.files:
            out[f.status] += 1
        return out


def load_id_for(sha256: str) -> str:
    """Deterministic: the same bytes always get the same load id."""
    return sha256[:16]


# --------------------------------------------------------------------------- tasks


@task(name="discover-files", cache_policy=NO_CACHE)
def discover_task(raw_dir: Path) -> list[SourceFile]:
    return discover(raw_dir)


@task(name="parse-file", cache_policy=NO_CACHE, timeout_seconds=120)
def parse_task(source: SourceFile, max_file_bytes: int) -> ParsedReport:
    from dxplan.parse import parse_bytes

    if source.size > max_file_bytes:
        raise ParseError(
            f"file is {source.size:,} bytes, larger than the limit of {max_file_bytes:,} bytes "
            "for a yearly report (DXPLAN_MAX_FILE_BYTES)"
        )
    return parse_bytes(source.path.read_bytes(), source.name)


def _is_transient(task, task_run, state) -> bool:
    """Retry only when the build file is locked by another process."""
    try:
        state.result()
    except duckdb.IOException:
        return True
    except Exception:
        return False
    return False


#: one parsed file on its way in: (source, its result so far, the parsed report or None
#: for an earlier identical load of the year that is made current again)
LoadItem = tuple[SourceFile, FileResult, ParsedReport | None]


@task(
    name="stage-and-validate",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_is_transient,
    timeout_seconds=1800,
)
def stage_and_validate_task(build: Path, items: list[LoadItem], validator) -> list[FileResult]:
    """Stage the parsed reports (in load order) and validate them with GX; a report is
    kept only when no critical rule failed. One connection, one GX run for all of them
    in the usual case; see :func:`stage_and_validate`."""
    con = duckdb.connect(str(build))
    try:
        stage.ensure_schema(con)
        return stage_and_validate(con, items, validator)
    finally:
        con.close()


def stage_and_validate(con: duckdb.DuckDBPyConnection, items: list[LoadItem],
                       validator) -> list[FileResult]:
    """Stage all items in one transaction, validate all new loads in one GX run, commit.

    A load's checks look only at itself and at loads staged before it (the previous
    version of its year, the latest earlier year), so when load k fails, loads 0..k-1
    passed exactly as they would have one by one. Then the transaction is rolled back,
    0..k-1 are staged again and committed with their results, k is rejected (its results
    kept), and the rest is staged and validated again on top. Nothing rejected is ever
    committed; a run with no rejection stages and validates once.
    """
    from dxplan.validate import record_results

    pending = list(items)
    size = len(pending)  # loads per attempt; 1 after GX itself failed on a batch
    while pending:
        batch = pending[:size]
        con.begin()
        try:
            _stage_items(con, batch)
        except _StagingFailed as failed:
            con.rollback()
            _reject(failed.item, f"could not stage {failed.item[0].name}: {failed.reason}")
            pending = [item for item in pending if item is not failed.item]
            continue
        new = [result.load_id for _, result, report in batch if report is not None]
        try:
            outcomes = validator.validate_loads(con, new)
        except Exception as exc:  # noqa: BLE001 - a GX failure rejects a file, not the run
            con.rollback()
            if len(batch) > 1:
                size = 1  # find the file it comes from
                continue
            _reject(batch[0], f"could not validate {batch[0][0].name}: "
                              f"{type(exc).__name__}: {exc}")
            pending = pending[1:]
            continue
        bad = next((i for i, (_, r, rep) in enumerate(batch)
                    if rep is not None and not outcomes[r.load_id].passed), None)
        done = len(batch) if bad is None else bad + 1  # settled by this attempt
        if bad is not None:  # keep what passed before it, reject it, go on after it
            con.rollback()
            con.begin()
            _stage_items(con, batch[:bad])
        record_results(con, *[outcomes[r.load_id] for _, r, rep in batch[:done]
                               if rep is not None])
        con.commit()
        for i, item in enumerate(batch[:done]):
            _settle(item, outcomes.get(item[1].load_id), rejected=(i == bad))
        pending = pending[done:]
    return [result for _, result, _ in items]


class _StagingFailed(Exception):
    def __init__(self, item: LoadItem, reason: str) -> None:
        super().__init__(reason)
        self.item, self.reason = item, reason


def _stage_items(con: duckdb.DuckDBPyConnection, items: list[LoadItem]) -> None:
    for item in items:
        src, result, report = item
        try:
            if report is None:  # the same bytes as an earlier load of the year
                stage.reactivate_load(con, result.load_id, result.started_at)
            else:
                stage.stage_report(
                    con,
                    report,
                    load_id=result.load_id,
                    source_path=str(src.path),
                    source_name=src.name,
                    sha256=src.sha256,
                    loaded_at=result.started_at,
                )
        except duckdb.Error as exc:
            raise _StagingFailed(item, f"{type(exc).__name__}: {exc}") from exc


def _settle(item: LoadItem, outcome, *, rejected: bool) -> None:
    _, result, report = item
    result.finished_at = datetime.now()
    if report is None:
        result.status = PUBLISHED
        result.message = "re-published an earlier version of this report year"
        return
    result.warnings = list(outcome.warnings)
    if rejected:
        result.status = REJECTED
        result.message = "validation failed: " + "; ".join(outcome.critical_failures)
        return
    result.status = PUBLISHED
    result.message = f"{len(report.rows)} rows, {len(report.kpis)} KPIs" + (
        f"; {len(outcome.warnings)} warning(s)" if outcome.warnings else "")


def _reject(item: LoadItem, message: str) -> None:
    _, result, _ = item
    result.status, result.message, result.finished_at = REJECTED, message, datetime.now()


@task(name="dbt-build", cache_policy=NO_CACHE, timeout_seconds=900)
def dbt_build_task(build: Path, settings: Settings) -> TransformResult:
    return dbt_build(build, settings.dbt_project_dir, settings.dbt_target_dir, settings.dbt_log_dir)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(build: Path, warehouse: Path, results: list[FileResult], run_id: str) -> None:
    con = duckdb.connect(str(build))
    try:
        stage.ensure_schema(con)
        write_audit(con, results, run_id)
    finally:
        con.close()
    publish.swap_in(build, warehouse)


@task(name="publish-postgres", cache_policy=NO_CACHE)
def publish_targets_task(settings: Settings, run_id: str) -> list[dict]:
    """dxplan.postgres: nothing without DXPLAN_POSTGRES_URL; a failure is returned."""
    from dxplan import postgres

    targets = postgres.publish_targets(settings.warehouse, settings.dbt_project_dir, run_id)
    for t in targets:
        (get_run_logger().info if t["status"] == "published" else get_run_logger().error)(
            "%s %s: %s", t["target"], t["status"], t["message"])
    return targets


def _has_targets() -> bool:
    from dxplan.postgres import ENV_URL

    return bool(os.environ.get(ENV_URL, "").strip())


def write_audit(con: duckdb.DuckDBPyConnection, results: list[FileResult], run_id: str) -> None:
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


# --------------------------------------------------------------------------- the flow


@flow(name=FLOW_NAME, description="Yearly DX progress reports in raw/ -> validated DuckDB marts")
def dxplan_pipeline(raw_dir: str | None = None, warehouse: str | None = None) -> dict:
    settings = load_settings(raw_dir, warehouse)
    summary = run_pipeline(settings)
    return summary_dict(summary)


def run_pipeline(settings: Settings) -> RunSummary:
    logger = get_run_logger()
    t0 = time.perf_counter()
    run_id = uuid.uuid4().hex[:12]
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)

    with publish.writer_lock(settings.lock_path, settings.lock_timeout_s):
        publish.clean_stale_builds(settings.warehouse)

        # 1. discover, and split off what is already published
        sources = discover_task(settings.raw_dir)
        known = publish.published_loads(settings.warehouse)
        unchanged, todo = publish.split_published(sources, known)
        results: list[FileResult] = [_unchanged(src, entry) for src, entry in unchanged]
        logger.info("found %d file(s): %d new or changed, %d unchanged",
                    len(sources), len(todo), len(results))

        first_build = not settings.warehouse.exists()
        build = publish.prepare_build(settings.warehouse)
        transform: TransformResult | None = None
        try:
            # 2. parse every file, then stage + validate them all (one DuckDB writer)
            if todo:
                from dxplan.validate import Validator

                validator = Validator(settings.expectations_dir, settings.data_docs_dir)
                read = sorted(((src, *_read_one(src, known, settings)) for src in todo),
                              key=_load_order)
                items = []
                for src, result, report in read:
                    if report is None and not result.load_id:
                        results.append(result)  # unreadable: rejected already
                    else:
                        result.load_id = result.load_id or load_id_for(src.sha256)
                        items.append((src, result, report))
                if items:
                    _load_all(build, items, validator, results)
                validator.build_data_docs()

            # 3. dbt build, once, when the staged data changed (or nothing was built yet)
            changed = any(r.status == PUBLISHED for r in results)
            if changed or first_build:
                _seed_empty_schema(build)
                transform = dbt_build_task(build, settings)
                logger.info("dbt build: %d models, %d tests in %.1f s",
                            transform.models, transform.tests, transform.seconds)

            # 4. audit rows, then the atomic swap
            publish_task(build, settings.warehouse, results, run_id)
        except (LoadFailed, TransformError) as exc:
            publish.discard(build)
            what = "dbt build failed" if isinstance(exc, TransformError) else "loading failed"
            _reject_staged(results, f"{what}, nothing published: {exc}")
            _publish_audit_only(settings, results, run_id)
        finally:
            publish.discard(build)
        # 5. the same marts to PostgreSQL (DXPLAN_POSTGRES_URL), after the DuckDB swap
        targets = publish_targets_task(settings, run_id) if _has_targets() else []

    summary = RunSummary(
        run_id=run_id,
        warehouse=str(settings.warehouse),
        files=results,
        rebuilt=transform is not None,
        seconds=time.perf_counter() - t0,
        transform=asdict(transform) if transform else None,
        targets=targets,
    )
    for r in results:
        log = logger.error if r.status == REJECTED else logger.info
        log("%s: %s %s", Path(r.source_path).name, r.status, r.message)
    _post_publish(settings, summary)
    return summary


# --------------------------------------------------------------------------- helpers


def _unchanged(src: SourceFile, entry: dict | None) -> FileResult:
    now = datetime.now()
    return FileResult(
        source_path=str(src.path),
        sha256=src.sha256,
        status=UNCHANGED,
        started_at=now,
        finished_at=now,
        load_id=(entry or {}).get("load_id") or load_id_for(src.sha256),
        report_fiscal_year=(entry or {}).get("report_fiscal_year"),
        message="already published (same sha256)",
    )


def _read_one(src: SourceFile, known: dict, settings: Settings) -> tuple[FileResult, ParsedReport | None]:
    """Parse one file; a file that cannot be read is rejected here, before any staging."""
    result = FileResult(source_path=str(src.path), sha256=src.sha256, status=REJECTED,
                        started_at=datetime.now())
    entry = known.get(src.sha256)
    if entry and not entry["is_current"]:
        result.load_id = entry["load_id"]  # an earlier version coming back: see _stage_items
        result.report_fiscal_year = entry["report_fiscal_year"]
        return result, None
    try:
        report = parse_task(src, settings.max_file_bytes)
    except ParseError as exc:
        result.message = f"cannot read {src.name}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a parser bug must reject the file, not the run
        result.message = f"cannot read {src.name}: parser error {type(exc).__name__}: {exc}"
    else:
        result.report_fiscal_year = report.report_fiscal_year
        result.file_format = report.file_format
        result.rows_in = len(report.rows)
        result.kpis_in = len(report.kpis)
        return result, report
    result.finished_at = datetime.now()
    return result, None


def _load_order(item: tuple[SourceFile, FileResult, ParsedReport | None]) -> tuple:
    """Report years in order; within a year the most complete file first, so a partial
    copy of the same report is checked against the complete one, then by file time."""
    src, result, report = item
    own_rows = sum(not r.is_relisted for r in report.rows) if report else 0
    mtime = src.path.stat().st_mtime if src.path.exists() else 0.0
    return (result.report_fiscal_year or 0, -own_rows, mtime, src.name)


class LoadFailed(RuntimeError):
    """Staging or validation broke off: the build file cannot be trusted, nothing is published."""


def _load_all(build: Path, items: list[LoadItem], validator,
              results: list[FileResult]) -> None:
    """Stage and validate the parsed reports into ``results``. An unexpected error
    (not a rejected file: a bug, a full disk) rejects them all and raises LoadFailed."""
    try:
        # quote: Prefect would otherwise walk every row of every report to look for
        # upstream futures in the parameters (15 s for 250 reports)
        stage_and_validate_task(build, quote(items), validator)
    except Exception as exc:
        message = f"could not stage or validate: {type(exc).__name__}: {exc}"
        for item in items:
            _reject(item, message)
        raise LoadFailed(message) from exc
    finally:
        results += [result for _, result, _ in items]


def _seed_empty_schema(build: Path) -> None:
    """dbt sources must exist even when nothing was ever published."""
    con = duckdb.connect(str(build))
    try:
        stage.ensure_schema(con)
    finally:
        con.close()


def _reject_staged(results: list[FileResult], message: str) -> None:
    for r in results:
        if r.status == PUBLISHED:
            r.status, r.message = REJECTED, message


def _publish_audit_only(settings: Settings, results: list[FileResult], run_id: str) -> None:
    """Record the run's audit rows without touching the published data."""
    build = publish.prepare_build(settings.warehouse)
    try:
        publish_task(build, settings.warehouse, results, run_id)
    finally:
        publish.discard(build)


def _post_publish(settings: Settings, summary: RunSummary) -> None:
    """Exports, dashboard and artifacts: after every run, read from the published file."""
    from dxplan import report
    from dxplan.dashboard import write_dashboard
    from dxplan.exports import export_marts

    logger = get_run_logger()
    if settings.warehouse.exists():
        steps = (
            ("exports", lambda: export_marts(settings.warehouse, settings.exports_dir)),
            ("dashboard", lambda: write_dashboard(settings.warehouse, settings.dashboard_dir)),
        )
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - BI outputs never decide publication
                logger.warning("could not write %s: %s", name, exc)
    report.publish_artifacts(settings, summary)


def summary_dict(summary: RunSummary) -> dict:
    out = asdict(summary)
    out["ok"] = summary.ok
    out["counts"] = summary.counts()
    return out
