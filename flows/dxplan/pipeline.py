"""The ``dxplan-pipeline`` Prefect flow: read :func:`run_pipeline` top to bottom.

    discover    the files in raw/, split into unchanged (sha256 already the current load)
                and new ones                                         dxplan.discover, publish
    read        parse every new file; a file that cannot be read is rejected here
                                                                     dxplan.load, dxplan.parse
    load        stage the parsed reports (oldest report year first) in one transaction,
                validate them with GX in one run, commit what passed dxplan.load, stage, validate
    data docs   GX's data docs of those validations, in a thread while dbt builds
                                                                     dxplan.validate
    transform   dbt build, once, when something new was staged (or the dbt project changed),
                in a dbt process started before the load (it parses meanwhile)
                                                                     dxplan.transform
    publish     audit rows, then swap the build file in atomically   dxplan.publish
    targets     the same marts to PostgreSQL (only with DXPLAN_POSTGRES_URL)  dxplan.postgres
    outputs     exports, dashboard, docs and Prefect artifacts, from the published file

Every step is a task that returns its result. Everything is written into a private copy
of the warehouse (the build file); the published file is replaced only at the end, so a
rejected file or a crash never reaches readers.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from dxplan import load, notify, publish, stage
from dxplan.discover import SourceFile, discover
from dxplan.i18n import t
from dxplan.load import PUBLISHED, REJECTED, UNCHANGED, FileResult, ReadFile
from dxplan.models import ParsedReport
from dxplan.settings import FLOW_NAME, Settings, load_settings
from dxplan.transform import (
    DbtWorker,
    TransformError,
    TransformResult,
    project_fingerprint,
    take_worker,
)

if TYPE_CHECKING:
    from dxplan.validate import Validator  # imports GX: only when the load phase runs


@dataclass(frozen=True)
class Discovery:
    """What a run starts from: the files of raw/ (already published, or to read), the
    published warehouse's loads and build, and the dbt project's version."""

    unchanged: list[FileResult]
    todo: list[SourceFile]
    known: dict  # dxplan.publish.Published.loads of the published warehouse
    total: int
    built: str | None  # dxplan.publish.Published.built: the project version of the marts
    fingerprint: str  # dxplan.transform.project_fingerprint of the dbt project now


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


class LoadFailed(RuntimeError):
    """Staging or validation broke off: the build file cannot be trusted, nothing is published."""

    def __init__(self, message: str, results: list[FileResult]) -> None:
        super().__init__(message)
        self.results = results


# --------------------------------------------------------------------------- the flow


@flow(name=FLOW_NAME, description="Yearly DX progress reports in raw/ -> validated DuckDB marts",
      on_failure=[notify.flow_failed], on_crashed=[notify.flow_failed])
def dxplan_pipeline(raw_dir: str | None = None, warehouse: str | None = None) -> dict:
    settings = load_settings(raw_dir, warehouse)
    return summary_dict(run_pipeline(settings))


def run_pipeline(settings: Settings) -> RunSummary:
    t0, run_id = time.perf_counter(), uuid.uuid4().hex[:12]
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    transform: TransformResult | None = None
    with publish.writer_lock(settings.lock_path, settings.lock_timeout_s):
        publish.clean_stale_builds(settings.warehouse)
        found = discover_task(settings)
        read = read_task(found, settings)
        build = publish.prepare_build(settings.warehouse)
        # dbt imports and parses the project in its own process meanwhile (dxplan.transform)
        dbt = take_worker(build, settings.dbt_project_dir, settings.dbt_target_dir,
                          settings.dbt_log_dir) if any(x.to_load for x in read) else None
        loaded: list[FileResult] = []
        docs = None
        try:
            loaded, validator = load_task(build, read, settings)
            # GX's data docs are written in a thread of this process while dbt builds
            docs = data_docs_task.submit(quote(validator)) if validator is not None else None
            results = found.unchanged + loaded
            if _needs_build(found, results):
                transform = transform_task(build, settings, run_id, found.fingerprint,
                                           quote(dbt))
            publish_task(build, settings.warehouse, results, run_id)
        except LoadFailed as exc:
            results = found.unchanged + exc.results
            record_rejection_task(settings, results, run_id)
        except TransformError as exc:
            transform = None
            results = load.rejected_instead(found.unchanged + loaded, "msg.dbt_failed",
                                            error=str(exc))
            record_rejection_task(settings, results, run_id)
        finally:
            if dbt is not None:
                dbt.close()  # never leave dbt running in the background
            if docs is not None:
                docs.wait()
            publish.discard(build)
        targets = publish_targets_task(settings, run_id) if _has_targets() else []

    summary = RunSummary(run_id=run_id, warehouse=str(settings.warehouse), files=results,
                         rebuilt=transform is not None, seconds=time.perf_counter() - t0,
                         transform=asdict(transform) if transform else None, targets=targets)
    outputs_task(settings, summary)
    notify.rejected_files(results, str(settings.warehouse))
    notify.failed_targets(targets, str(settings.warehouse))
    return summary


# --------------------------------------------------------------------------- tasks


@task(name="discover-files", cache_policy=NO_CACHE)
def discover_task(settings: Settings) -> Discovery:
    sources = discover(settings.raw_dir)
    published = publish.read_published(settings.warehouse)  # one read-only connection
    unchanged, todo = publish.split_published(sources, published.loads)
    found = Discovery([load.unchanged_result(src, entry) for src, entry in unchanged],
                      todo, published.loads, len(sources), published.built,
                      project_fingerprint(settings.dbt_project_dir))
    get_run_logger().info(t("phase.discover", total=found.total, todo=len(todo),
                            unchanged=len(found.unchanged)))
    return found


@task(name="parse-file", cache_policy=NO_CACHE, timeout_seconds=120)
def parse_task(source: SourceFile, max_file_bytes: int) -> ParsedReport:
    return load.parse_source(source, max_file_bytes)


@task(name="read-files", cache_policy=NO_CACHE)
def read_task(found: Discovery, settings: Settings) -> list[ReadFile]:
    """Parse every new file (one ``parse-file`` task each), in load order."""
    logger, todo = get_run_logger(), found.todo
    started, every = time.perf_counter(), max(1, len(todo) // 10)

    def progress(n: int, src: SourceFile) -> None:
        if len(todo) <= 20 or n % every == 0 or n == len(todo):
            logger.info(t("phase.parse", n=n, total=len(todo), file=src.name))

    read = load.read_files(todo, found.known, settings.max_file_bytes, parse_task, progress)
    if read:
        logger.info(t("phase.parsed", ok=sum(x.report is not None for x in read),
                      total=len(todo), seconds=time.perf_counter() - started))
    return read


def _is_transient(task, task_run, state) -> bool:
    """Retry only when the build file is locked by another process."""
    try:
        state.result()
    except duckdb.IOException:
        return True
    except Exception:
        return False
    return False


@task(name="stage-and-validate", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=_is_transient, timeout_seconds=1800)
def stage_and_validate_task(build: Path, read: list[ReadFile], settings: Settings,
                            ) -> tuple[list[FileResult], Validator]:
    """Stage the readable files in one transaction and validate them with GX in one run
    (:func:`dxplan.load.stage_and_validate`); returns the results and the validator, which
    holds the run's validation results for the data docs (:func:`data_docs_task`)."""
    from dxplan.validate import Validator

    validator = Validator(settings.expectations_dir, settings.data_docs_dir)
    con = duckdb.connect(str(build))
    try:
        stage.ensure_schema(con)
        results = load.stage_and_validate(con, read, validator)
    finally:
        con.close()
    return results, validator


@task(name="data-docs", cache_policy=NO_CACHE)
def data_docs_task(validator: Validator) -> Path | None:
    """GX's data docs and the summary page of this run's validations
    (:meth:`dxplan.validate.Validator.build_data_docs`)."""
    return validator.build_data_docs()


def load_task(build: Path, read: list[ReadFile], settings: Settings,
              ) -> tuple[list[FileResult], Validator | None]:
    """The load phase (see :func:`stage_and_validate_task`), with its log lines; an
    unexpected error (a bug, a full disk: not a rejected file) raises :class:`LoadFailed`
    with every file rejected."""
    if not read:
        return [], None
    logger, started = get_run_logger(), time.perf_counter()
    to_load = sum(x.to_load for x in read)
    if to_load:
        logger.info(t("phase.validate", n=to_load))
    try:
        # quote: Prefect would otherwise walk every row of every report to look for
        # upstream futures in the parameters (15 s for 250 reports)
        results, validator = stage_and_validate_task(build, quote(read), settings)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise LoadFailed(error, [x.result if not x.to_load else x.result.settled(
            REJECTED, "msg.load_failed", error=error) for x in read]) from exc
    if to_load:
        logger.info(t("phase.validated", seconds=time.perf_counter() - started,
                      passed=sum(r.status == PUBLISHED for r in results),
                      rejected=sum(r.status == REJECTED and x.to_load
                                   for r, x in zip(results, read, strict=True))))
    return results, validator


@task(name="dbt-build", cache_policy=NO_CACHE, timeout_seconds=900)
def transform_task(build: Path, settings: Settings, run_id: str, fingerprint: str,
                   dbt: DbtWorker | None = None) -> TransformResult:
    """dbt build on the build file, recorded in ``audit.dbt_builds``; then the dbt docs page.
    ``dbt``: the worker started for this build file (it has parsed the project meanwhile)."""
    from dxplan.dbt_docs import generate_for_build
    from dxplan.transform import record_build

    logger = get_run_logger()
    with duckdb.connect(str(build)) as con:  # dbt's sources must exist even when nothing was published
        stage.ensure_schema(con)
    logger.info(t("phase.dbt"))
    own = dbt is None  # nothing was loaded: the marts are rebuilt for a new dbt project
    if own:
        dbt = take_worker(build, settings.dbt_project_dir, settings.dbt_target_dir,
                          settings.dbt_log_dir)
    try:
        result = dbt.build(progress=lambda done, total: logger.info(
            t("phase.dbt_progress", done=done, total=total)))
        logger.info(t("phase.dbt_done", models=result.models, tests=result.tests,
                      seconds=result.seconds))
        generate_for_build(dbt, logger)  # offline docs page, dxplan.dbt_docs
    finally:
        if own:
            dbt.close()
    with duckdb.connect(str(build)) as con:
        record_build(con, fingerprint, run_id, result)
    return result


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(build: Path, warehouse: Path, results: list[FileResult], run_id: str) -> None:
    get_run_logger().info(t("phase.publish", warehouse=warehouse))
    with duckdb.connect(str(build)) as con:
        stage.ensure_schema(con)
        publish.write_audit(con, results, run_id)
    publish.swap_in(build, warehouse)


@task(name="record-rejection", cache_policy=NO_CACHE)
def record_rejection_task(settings: Settings, results: list[FileResult], run_id: str) -> None:
    """Record the run's audit rows without touching the published data."""
    build = publish.prepare_build(settings.warehouse)
    try:
        with duckdb.connect(str(build)) as con:
            stage.ensure_schema(con)
            publish.write_audit(con, results, run_id)
        publish.swap_in(build, settings.warehouse)
    finally:
        publish.discard(build)


@task(name="publish-postgres", cache_policy=NO_CACHE)
def publish_targets_task(settings: Settings, run_id: str) -> list[dict]:
    """dxplan.postgres: nothing without DXPLAN_POSTGRES_URL; a failure is returned."""
    from dxplan import postgres

    targets = postgres.publish_targets(settings.warehouse, settings.dbt_project_dir, run_id)
    for target in targets:
        log = get_run_logger().info if target["status"] == "published" else get_run_logger().error
        log("%s %s: %s", target["target"], target["status"], target["message"])
    return targets


@task(name="outputs", cache_policy=NO_CACHE)
def outputs_task(settings: Settings, summary: RunSummary) -> None:
    """Exports, dashboard and artifacts: after every run, read from the published file.
    BI outputs never decide publication: a failure here is a warning."""
    from dxplan import report
    from dxplan.dashboard import write_dashboard
    from dxplan.dbt_docs import install_docs
    from dxplan.exports import export_marts

    logger = get_run_logger()
    for r in summary.files:
        log = logger.error if r.status == REJECTED else logger.info
        log("%s: %s %s", Path(r.source_path).name, r.status, r.message)
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


# --------------------------------------------------------------------------- helpers


def _needs_build(found: Discovery, results: list[FileResult]) -> bool:
    """dbt builds when the staged data changed, nothing was built yet, or the marts were
    built by another version of the dbt project (an upgrade)."""
    return any(r.status == PUBLISHED for r in results) or found.built != found.fingerprint


def _has_targets() -> bool:
    from dxplan.postgres import ENV_URL

    return bool(os.environ.get(ENV_URL, "").strip())


def summary_dict(summary: RunSummary) -> dict:
    out = asdict(summary)
    out["ok"] = summary.ok
    out["counts"] = summary.counts()
    return out
