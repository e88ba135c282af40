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

from dxplan import notify, publish, stage
from dxplan.discover import SourceFile, discover
from dxplan.i18n import t
from dxplan.load import (  # noqa: F401 - the load phase's names, re-exported for readers
    PUBLISHED,
    REJECTED,
    UNCHANGED,
    FileResult,
    LoadItem,
    _reject,
    load_id_for,
    load_order,
    parse_source,
    read_file,
    stage_and_validate,
)
from dxplan.models import ParsedReport
from dxplan.settings import FLOW_NAME, Settings, load_settings
from dxplan.transform import (
    TransformError,
    TransformResult,
    dbt_build,
    project_fingerprint,
    record_build,
)


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


# --------------------------------------------------------------------------- tasks


@task(name="discover-files", cache_policy=NO_CACHE)
def discover_task(raw_dir: Path) -> list[SourceFile]:
    return discover(raw_dir)


@task(name="parse-file", cache_policy=NO_CACHE, timeout_seconds=120)
def parse_task(source: SourceFile, max_file_bytes: int) -> ParsedReport:
    return parse_source(source, max_file_bytes)


def _is_transient(task, task_run, state) -> bool:
    """Retry only when the build file is locked by another process."""
    try:
        state.result()
    except duckdb.IOException:
        return True
    except Exception:
        return False
    return False


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


@task(name="dbt-build", cache_policy=NO_CACHE, timeout_seconds=900)
def dbt_build_task(build: Path, settings: Settings) -> TransformResult:
    logger = get_run_logger()
    return dbt_build(build, settings.dbt_project_dir, settings.dbt_target_dir,
                     settings.dbt_log_dir,
                     progress=lambda done, total: logger.info(
                         t("phase.dbt_progress", done=done, total=total)))


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
    for target in targets:
        log = get_run_logger().info if target["status"] == "published" else get_run_logger().error
        log("%s %s: %s", target["target"], target["status"], target["message"])
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


@flow(name=FLOW_NAME, description="Yearly DX progress reports in raw/ -> validated DuckDB marts",
      on_failure=[notify.flow_failed], on_crashed=[notify.flow_failed])
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
        logger.info(t("phase.discover", total=len(sources), todo=len(todo),
                      unchanged=len(results)))

        first_build = not settings.warehouse.exists()
        build = publish.prepare_build(settings.warehouse)
        transform: TransformResult | None = None
        try:
            # 2. parse every file, then stage + validate them all (one DuckDB writer)
            if todo:
                from dxplan.validate import Validator

                validator = Validator(settings.expectations_dir, settings.data_docs_dir)
                read = sorted(_read_all(todo, known, settings), key=load_order)
                items = []
                for src, result, report in read:
                    if report is None and not result.load_id:
                        results.append(result)  # unreadable: rejected already
                    else:
                        result.load_id = result.load_id or load_id_for(src.sha256)
                        items.append((src, result, report))
                if items:
                    started = time.perf_counter()
                    logger.info(t("phase.validate", n=len(items)))
                    _load_all(build, items, validator, results)
                    logger.info(t("phase.validated", seconds=time.perf_counter() - started,
                                  passed=sum(r.status == PUBLISHED for _, r, _ in items),
                                  rejected=sum(r.status == REJECTED for _, r, _ in items)))
                validator.build_data_docs()

            # 3. dbt build, once, when the staged data changed, nothing was built yet, or
            #    the marts were built by another version of the dbt project (an upgrade)
            changed = any(r.status == PUBLISHED for r in results)
            fingerprint = project_fingerprint(settings.dbt_project_dir)
            if changed or first_build or publish.built_with(settings.warehouse) != fingerprint:
                _seed_empty_schema(build)
                logger.info(t("phase.dbt"))
                transform = dbt_build_task(build, settings)
                _record_build(build, fingerprint, run_id, transform)
                logger.info(t("phase.dbt_done", models=transform.models, tests=transform.tests,
                              seconds=transform.seconds))
                from dxplan.dbt_docs import generate_for_build

                generate_for_build(build, settings, logger)  # offline docs page, dxplan.dbt_docs

            # 4. audit rows, then the atomic swap
            logger.info(t("phase.publish", warehouse=settings.warehouse))
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
    notify.rejected_files(results, str(settings.warehouse))
    notify.failed_targets(summary.targets, str(settings.warehouse))
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


def _read_all(todo: list[SourceFile], known: dict, settings: Settings) -> list[tuple]:
    """Parse every new file, saying how far it got (each file, or every tenth of many)."""
    logger = get_run_logger()
    started, every = time.perf_counter(), max(1, len(todo) // 10)
    read = []
    for n, src in enumerate(todo, 1):
        if len(todo) <= 20 or n % every == 0 or n == len(todo):
            logger.info(t("phase.parse", n=n, total=len(todo), file=src.name))
        read.append((src, *read_file(src, known, settings.max_file_bytes, parse_task)))
    logger.info(t("phase.parsed", ok=sum(rep is not None for _, _, rep in read),
                  total=len(todo), seconds=time.perf_counter() - started))
    return read


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


def _record_build(build: Path, fingerprint: str, run_id: str, result: TransformResult) -> None:
    con = duckdb.connect(str(build))
    try:
        stage.ensure_schema(con)
        record_build(con, fingerprint, run_id, result)
    finally:
        con.close()


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
    from dxplan.dbt_docs import install_docs
    from dxplan.exports import export_marts

    logger = get_run_logger()
    if settings.warehouse.exists():
        started = time.perf_counter()
        logger.info(t("phase.outputs"))
        steps = (
            ("exports", lambda: export_marts(settings.warehouse, settings.exports_dir)),
            ("dbt docs", lambda: install_docs(settings.dbt_target_dir, settings.dashboard_dir)),
            ("dashboard", lambda: write_dashboard(settings.warehouse, settings.dashboard_dir)),
        )
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - BI outputs never decide publication
                logger.warning("could not write %s: %s", name, exc)
        logger.info(t("phase.outputs_done", seconds=time.perf_counter() - started))
    report.publish_artifacts(settings, summary)


def summary_dict(summary: RunSummary) -> dict:
    out = asdict(summary)
    out["ok"] = summary.ok
    out["counts"] = summary.counts()
    return out
