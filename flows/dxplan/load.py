"""The load phase: read each new file, then stage and validate them together.

Shared by the flow (``dxplan.pipeline``, which wraps these in Prefect tasks) and by
``dxplan check`` (which runs them on a private copy of the published warehouse), so a
check judges a file exactly as a run would. Every function returns new results; none
changes what it was given (a :class:`FileResult` is frozen).

    unchanged_result     a file whose bytes are already the current load: nothing to do
    read_file            parse one file (size limit, parser errors -> a rejected FileResult)
    read_files           every new file, in load order: oldest report year first
    stage_and_validate   one transaction, one GX run; a rejected file is rolled back
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb

from dxplan import stage
from dxplan.discover import SourceFile
from dxplan.i18n import t_in
from dxplan.models import ParsedReport, ParseError

PUBLISHED, UNCHANGED, REJECTED = "published", "unchanged", "rejected"


@dataclass(frozen=True)
class FileResult:
    """What became of one file in one run (one row of ``audit.load_log``)."""

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
    message: str = ""  # in English, as kept in audit.load_log
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: the message as a key of dxplan/locale/messages.yaml and its fields, for the CLI
    #: to say it in the user's language
    message_key: str = ""
    message_fields: tuple[tuple[str, object], ...] = ()

    def settled(self, status: str, key: str, warnings: tuple[str, ...] | None = None,
                **fields) -> FileResult:
        """This result with its outcome (message ``key`` with ``fields``), finished now."""
        return replace(self, status=status, message=t_in("en", key, **fields),
                       message_key=key, message_fields=tuple(fields.items()),
                       finished_at=datetime.now(),
                       warnings=self.warnings if warnings is None else warnings)


@dataclass(frozen=True)
class ReadFile:
    """One file after reading: its result so far and the parsed report. ``report`` is
    None for a file that could not be read (``result`` says why) and for the bytes of an
    earlier load of its year coming back (``load_id`` set: it is made current again)."""

    source: SourceFile
    result: FileResult
    report: ParsedReport | None = None

    @property
    def to_load(self) -> bool:
        return self.report is not None or self.result.load_id is not None


def load_id_for(sha256: str) -> str:
    """Deterministic: the same bytes always get the same load id."""
    return sha256[:16]


def unchanged_result(src: SourceFile, entry: dict | None) -> FileResult:
    """A file whose bytes are the current published load of its year."""
    now = datetime.now()
    return FileResult(
        source_path=str(src.path), sha256=src.sha256, status=UNCHANGED, started_at=now,
        finished_at=now, load_id=(entry or {}).get("load_id") or load_id_for(src.sha256),
        report_fiscal_year=(entry or {}).get("report_fiscal_year"),
        message=t_in("en", "msg.unchanged"), message_key="msg.unchanged",
    )


def parse_source(source: SourceFile, max_file_bytes: int) -> ParsedReport:
    """Read and parse one file; :class:`ParseError` says why it cannot be read."""
    from dxplan.parse import parse_bytes

    if source.size > max_file_bytes:
        raise ParseError(
            f"file is {source.size:,} bytes, larger than the limit of {max_file_bytes:,} bytes "
            "for a yearly report (DXPLAN_MAX_FILE_BYTES)"
        )
    return parse_bytes(source.path.read_bytes(), source.name)


Parse = Callable[[SourceFile, int], ParsedReport]


def read_file(src: SourceFile, known: dict, max_file_bytes: int,
              parse: Parse | None = None) -> ReadFile:
    """Parse one file; a file that cannot be read is rejected here, before any staging.
    ``known`` is ``dxplan.publish.read_published(...).loads``; ``parse`` defaults to
    :func:`parse_source` (the flow passes its Prefect task)."""
    started = FileResult(source_path=str(src.path), sha256=src.sha256, status=REJECTED,
                         started_at=datetime.now())
    entry = known.get(src.sha256)
    if entry and not entry["is_current"]:  # an earlier version coming back: see _stage_items
        return ReadFile(src, replace(started, load_id=entry["load_id"],
                                     report_fiscal_year=entry["report_fiscal_year"]))
    try:
        report = (parse or parse_source)(src, max_file_bytes)
    except ParseError as exc:
        return ReadFile(src, started.settled(REJECTED, "msg.cannot_read", file=src.name,
                                             reason=str(exc)))
    except Exception as exc:  # noqa: BLE001 - a parser bug must reject the file, not the run
        return ReadFile(src, started.settled(REJECTED, "msg.parser_error", file=src.name,
                                             error=f"{type(exc).__name__}: {exc}"))
    return ReadFile(src, replace(
        started, load_id=load_id_for(src.sha256), report_fiscal_year=report.report_fiscal_year,
        file_format=report.file_format, rows_in=len(report.rows), kpis_in=len(report.kpis),
    ), report)


def read_files(todo: Iterable[SourceFile], known: dict, max_file_bytes: int,
               parse: Parse | None = None,
               progress: Callable[[int, SourceFile], None] | None = None) -> list[ReadFile]:
    """:func:`read_file` for every file, returned in :func:`load_order`."""
    read = []
    for n, src in enumerate(todo, 1):
        if progress:
            progress(n, src)
        read.append(read_file(src, known, max_file_bytes, parse))
    return sorted(read, key=load_order)


def load_order(item: ReadFile) -> tuple:
    """Report years in order; within a year the most complete file first, so a partial
    copy of the same report is checked against the complete one, then by file time."""
    src, report = item.source, item.report
    own_rows = sum(not r.is_relisted for r in report.rows) if report else 0
    mtime = src.path.stat().st_mtime if src.path.exists() else 0.0
    return (item.result.report_fiscal_year or 0, -own_rows, mtime, src.name)


def stage_and_validate(con: duckdb.DuckDBPyConnection, items: list[ReadFile],
                       validator) -> list[FileResult]:
    """Stage all items in one transaction, validate all new loads in one GX run, commit;
    the result of each item, in their order. Items that cannot be loaded (``to_load``
    false) come back as they are.

    A load's checks look only at itself and at loads staged before it (the previous
    version of its year, the latest earlier year), so when load k fails, loads 0..k-1
    passed exactly as they would have one by one. Then the transaction is rolled back,
    0..k-1 are staged again and committed with their results, k is rejected (its results
    kept), and the rest is staged and validated again on top. Nothing rejected is ever
    committed; a run with no rejection stages and validates once.
    """
    from dxplan.validate import record_results

    done: dict[int, FileResult] = {i: x.result for i, x in enumerate(items) if not x.to_load}
    pending = [(i, x) for i, x in enumerate(items) if x.to_load]
    size = len(pending)  # loads per attempt; 1 after GX itself failed on a batch
    while pending:
        batch = pending[:size]
        con.begin()
        try:
            _stage_items(con, [x for _, x in batch])
        except _StagingFailed as failed:
            con.rollback()
            i, x = next((i, x) for i, x in batch if x is failed.item)
            done[i] = x.result.settled(REJECTED, "msg.could_not_stage", file=x.source.name,
                                       reason=failed.reason)
            pending = [(j, y) for j, y in pending if j != i]
            continue
        new = [x.result.load_id for _, x in batch if x.report is not None]
        try:
            outcomes = validator.validate_loads(con, new)
        except Exception as exc:  # noqa: BLE001 - a GX failure rejects a file, not the run
            con.rollback()
            if len(batch) > 1:
                size = 1  # find the file it comes from
                continue
            i, x = batch[0]
            done[i] = x.result.settled(REJECTED, "msg.could_not_validate", file=x.source.name,
                                       error=f"{type(exc).__name__}: {exc}")
            pending = pending[1:]
            continue
        bad = next((k for k, (_, x) in enumerate(batch)
                    if x.report is not None and not outcomes[x.result.load_id].passed), None)
        settled = len(batch) if bad is None else bad + 1  # settled by this attempt
        if bad is not None:  # keep what passed before it, reject it, go on after it
            con.rollback()
            con.begin()
            _stage_items(con, [x for _, x in batch[:bad]])
        record_results(con, *[outcomes[x.result.load_id] for _, x in batch[:settled]
                               if x.report is not None])
        con.commit()
        for k, (i, x) in enumerate(batch[:settled]):
            done[i] = _outcome(x, outcomes.get(x.result.load_id), rejected=(k == bad))
        pending = pending[settled:]
    return [done[i] for i in range(len(items))]


def rejected_instead(results: Iterable[FileResult], key: str, **fields) -> list[FileResult]:
    """The results of a run that published nothing after all (a failed dbt build, a
    broken load): what would have been published is rejected with message ``key``."""
    return [r.settled(REJECTED, key, **fields) if r.status == PUBLISHED else r
            for r in results]


class _StagingFailed(Exception):
    def __init__(self, item: ReadFile, reason: str) -> None:
        super().__init__(reason)
        self.item, self.reason = item, reason


def _stage_items(con: duckdb.DuckDBPyConnection, items: list[ReadFile]) -> None:
    for item in items:
        src, result = item.source, item.result
        try:
            if item.report is None:  # the same bytes as an earlier load of the year
                stage.reactivate_load(con, result.load_id, result.started_at)
            else:
                stage.stage_report(con, item.report, load_id=result.load_id,
                                   source_path=str(src.path), source_name=src.name,
                                   sha256=src.sha256, loaded_at=result.started_at)
        except duckdb.Error as exc:
            raise _StagingFailed(item, f"{type(exc).__name__}: {exc}") from exc


def _outcome(item: ReadFile, outcome, *, rejected: bool) -> FileResult:
    result, report = item.result, item.report
    if report is None:
        return result.settled(PUBLISHED, "msg.republished")
    warnings = tuple(outcome.warnings)
    if rejected:
        return result.settled(REJECTED, "msg.validation_failed", warnings,
                              failures="; ".join(outcome.critical_failures))
    if warnings:
        return result.settled(PUBLISHED, "msg.published_warnings", warnings,
                              rows=len(report.rows), kpis=len(report.kpis), n=len(warnings))
    return result.settled(PUBLISHED, "msg.published", warnings,
                          rows=len(report.rows), kpis=len(report.kpis))
