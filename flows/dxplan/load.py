"""The load phase: read each new file, then stage and validate them together.

Shared by the flow (``dxplan.pipeline``, which wraps these in Prefect tasks) and by
``dxplan check`` (which runs them on a private copy of the published warehouse), so a
check judges a file exactly as a run would.

    read_file            parse one file (size limit, parser errors -> a rejected FileResult)
    load_order           oldest report year first; the most complete file of a year first
    stage_and_validate   one transaction, one GX run; a rejected file is rolled back
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from dxplan import stage
from dxplan.discover import SourceFile
from dxplan.models import ParsedReport, ParseError

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

def load_id_for(sha256: str) -> str:
    """Deterministic: the same bytes always get the same load id."""
    return sha256[:16]

#: one parsed file on its way in: (source, its result so far, the parsed report or None
#: for an earlier identical load of the year that is made current again)
LoadItem = tuple[SourceFile, FileResult, ParsedReport | None]

def parse_source(source: SourceFile, max_file_bytes: int) -> ParsedReport:
    """Read and parse one file; :class:`ParseError` says why it cannot be read."""
    from dxplan.parse import parse_bytes

    if source.size > max_file_bytes:
        raise ParseError(
            f"file is {source.size:,} bytes, larger than the limit of {max_file_bytes:,} bytes "
            "for a yearly report (DXPLAN_MAX_FILE_BYTES)"
        )
    return parse_bytes(source.path.read_bytes(), source.name)


def read_file(src: SourceFile, known: dict, max_file_bytes: int,
              parse: Callable[[SourceFile, int], ParsedReport] | None = None,
              ) -> tuple[FileResult, ParsedReport | None]:
    """Parse one file; a file that cannot be read is rejected here, before any staging.
    ``known`` is :func:`dxplan.publish.published_loads`; ``parse`` defaults to
    :func:`parse_source` (the flow passes its Prefect task)."""
    result = FileResult(source_path=str(src.path), sha256=src.sha256, status=REJECTED,
                        started_at=datetime.now())
    entry = known.get(src.sha256)
    if entry and not entry["is_current"]:
        result.load_id = entry["load_id"]  # an earlier version coming back: see _stage_items
        result.report_fiscal_year = entry["report_fiscal_year"]
        return result, None
    try:
        report = (parse or parse_source)(src, max_file_bytes)
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


def load_order(item: tuple[SourceFile, FileResult, ParsedReport | None]) -> tuple:
    """Report years in order; within a year the most complete file first, so a partial
    copy of the same report is checked against the complete one, then by file time."""
    src, result, report = item
    own_rows = sum(not r.is_relisted for r in report.rows) if report else 0
    mtime = src.path.stat().st_mtime if src.path.exists() else 0.0
    return (result.report_fiscal_year or 0, -own_rows, mtime, src.name)

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
