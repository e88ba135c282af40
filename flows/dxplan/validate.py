"""Validate: the Great Expectations gate between staging and publishing.

One :class:`Validator` is built per run. It loads the expectation suites (versioned
JSON files under ``expectations/``, one per *frame*) into an ephemeral GX context once,
then validates every load with :meth:`Validator.validate_load`.

GX cannot validate DuckDB through SQLAlchemy here, so each staged table of ONE load
is read from DuckDB into a pandas DataFrame (the *base frames* ``loads``,
``report_rows``, ``kpis``, ``kpi_targets``, plus ``staging_columns`` from
information_schema for the structure check) and validated through a pandas data
source. Checks that span tables are computed in pandas into small *derived frames*
(``cross_projects``, ``cross_row_refs``, ``cross_kpis``; ``kpi_targets`` also gets
derived columns) which GX then validates too, so every rule goes through GX and
lands in ``audit.validation_results``. The suite files document each frame's
derived columns in ``meta.dxplan.notes``.

Every expectation carries ``meta = {"severity": "critical"|"warning", "rule": ...,
"description": ...}``. A load passes iff no *critical* expectation failed (an
expectation that raised counts as failed). Warnings are reported, never blocking.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pandas as pd

from dxplan.validation.frames import (  # noqa: F401 - judge_evaluation: part of this API
    Verdict,
    fetch_frames,
    judge_evaluation,
)
from dxplan.validation.messages import _checked_columns, _describe_failure, _jsonable
from dxplan.validation.suites import (  # noqa: F401 - record_results: part of this API
    _BATCH_DEFINITION,
    _DATA_SOURCE,
    _SITE_NAME,
    DETAIL_ROWS,
    FRAMES,
    MAX_GX_DOC_RUNS,
    SuiteSpec,
    ValidationOutcome,
    _gx_suite_dict,
    load_suite_specs,
    record_results,
)

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- validator


@dataclass(frozen=True)
class _SuiteRun:
    spec: SuiteSpec
    suite: Any  # gx.ExpectationSuite
    batch_definition: Any  # gx BatchDefinition of the suite's frame
    order: dict[str, int]  # expectation id -> position in the suite file
    row_level: set[str]  # ids of expectations that count unexpected rows
    columns: frozenset[str]  # frame columns the suite reads (others are not handed to GX)
    expectations: dict[str, Any]  # id -> gx Expectation


def _used_columns(spec: SuiteSpec) -> set[str]:
    cols = set(spec.id_columns)
    for exp in spec.body["expectations"]:
        kwargs = exp.get("kwargs") or {}
        cols.update(_checked_columns(kwargs))
        cols.update(kwargs.get("column_set") or [])
        cols.update(_condition_columns(kwargs.get("row_condition")))
    return cols


def _condition_columns(condition: Any) -> set[str]:
    """Column names in a serialised GX row condition ({"column": {"name": ...}, ...})."""
    if isinstance(condition, dict):
        found = set()
        column = condition.get("column")
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            found.add(column["name"])
        for value in condition.values():
            found |= _condition_columns(value)
        return found
    if isinstance(condition, list):
        return set().union(*(_condition_columns(c) for c in condition)) if condition else set()
    if isinstance(condition, str):  # legacy pandas query string
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", condition))
    return set()


class Validator:
    """GX context and suites, built once per run; validates one load at a time."""

    def __init__(self, expectations_dir: Path, data_docs_dir: Path | None = None) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx  # heavy import: only when a Validator is built
        from great_expectations.expectations.expectation import (
            ColumnMapExpectation,
            ColumnPairMapExpectation,
            MulticolumnMapExpectation,
        )

        self.specs = load_suite_specs(Path(expectations_dir))
        self.data_docs_dir = Path(data_docs_dir) if data_docs_dir else None
        ctx = gx.get_context(mode="ephemeral")
        ctx.enable_analytics(False)
        ctx.variables.progress_bars = {"globally": False}
        for site in list(ctx.get_config().data_docs_sites or {}):
            ctx.delete_data_docs_site(site)  # the default site writes to a temp dir
        if self.data_docs_dir is not None:
            ctx.add_data_docs_site(
                _SITE_NAME,
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.data_docs_dir.resolve()),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        source = ctx.data_sources.add_pandas(_DATA_SOURCE)
        batch_defs = {
            frame: source.add_dataframe_asset(frame).add_batch_definition_whole_dataframe(
                _BATCH_DEFINITION
            )
            for frame in FRAMES
        }
        self._runs: list[_SuiteRun] = []
        for spec in self.specs:
            suite = ctx.suites.add(gx.ExpectationSuite(**_gx_suite_dict(spec)))
            order = {str(e.id): i for i, e in enumerate(suite.expectations)}
            row_level = {
                str(e.id)
                for e in suite.expectations
                if isinstance(
                    e, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation
                )
            }
            self._runs.append(
                _SuiteRun(
                    spec,
                    suite,
                    batch_defs[spec.frame],
                    order,
                    row_level,
                    frozenset(_used_columns(spec)),
                    {str(e.id): e for e in suite.expectations},
                )
            )
        self._ctx = ctx
        # per load_id (a retried load replaces its earlier attempt)
        self._outcomes: dict[str, ValidationOutcome] = {}
        # per validate_loads call: its load ids, and (result key, suite result) per suite
        self._docs_pending: list[tuple[list[str], list[tuple[Any, Any]]]] = []
        self._doc_links: dict[str, dict[str, str]] = {}  # load_id -> suite -> GX page

    # .................................................................. validation

    def validate_load(self, con: duckdb.DuckDBPyConnection, load_id: str) -> ValidationOutcome:
        """Validate the staged rows of one load: :meth:`validate_loads` with one id."""
        return self.validate_loads(con, [load_id])[load_id]

    def validate_loads(
        self, con: duckdb.DuckDBPyConnection, load_ids: Sequence[str]
    ) -> dict[str, ValidationOutcome]:
        """Validate the staged rows of several loads (read through ``con``, e.g. inside the
        caller's open transaction) in ONE run of each suite. Writes nothing to DuckDB: see
        :func:`record_results`.

        Every frame holds the rows of all the loads, each row tagged with its ``load_id``,
        and every expectation is judged row by row (or, for the staging structure, on
        what all loads share), so each load's outcome is what validating it alone gives:
        GX's fixed cost per suite run (~0.15 s) is paid once, not once per load.

        Each suite runs with GX's cheapest result format (BOOLEAN_ONLY); only the
        expectations that failed are re-run with COMPLETE, whose failing rows (named by
        the suite's id columns and ``load_id``) are handed to the loads they belong to.
        GX only sees the columns a suite reads.
        """
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        ids = list(dict.fromkeys(load_ids))
        if not ids:
            return {}
        validated_at = datetime.now()  # naive local time, like audit.load_log
        name = ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"
        run_id = RunIdentifier(run_name=name, run_time=datetime.now(UTC))
        frames = fetch_frames(con, ids)
        outcomes = {lid: ValidationOutcome(load_id=lid, passed=True) for lid in ids}
        pending: list[tuple[Any, Any]] = []
        for run in self._runs:
            frame = frames.get(run.spec.frame)
            if frame is None:
                for outcome in outcomes.values():
                    self._frame_missing(outcome, run.spec, validated_at)
                continue
            shared = "load_id" not in frame.columns  # the staging structure: one for all
            keep = [c for c in frame.columns if c in run.columns or c == "load_id"]
            frame = frame[keep] if keep else frame
            batch = run.batch_definition.get_batch(batch_parameters={"dataframe": frame})
            suite_result = batch.validate(
                run.suite, result_format={"result_format": "BOOLEAN_ONLY"}
            )
            index_columns = [c for c in run.spec.id_columns if c in frame.columns]
            if not shared and "load_id" not in index_columns:
                index_columns.append("load_id")
            complete: dict[str, Any] = {"result_format": "COMPLETE"}
            if index_columns:
                complete["unexpected_index_column_names"] = index_columns
            results = suite_result.results
            for i, res in enumerate(results):  # re-run only what failed, for the details
                if not res.success:
                    expectation = run.expectations[str(res.expectation_config.id)]
                    results[i] = batch.validate(expectation, result_format=complete)
            ordered = sorted(
                results,
                key=lambda r, order=run.order: order.get(str(r.expectation_config.id), len(order)),
            )
            for res in ordered:
                for load_id, verdict in self._verdicts(run, res, ids, shared, frame, complete):
                    self._collect(outcomes[load_id], run, res, verdict, validated_at)
            if self.data_docs_dir is not None:
                suite_result.meta["run_id"] = run_id
                suite_result.meta["validation_time"] = run_id.run_time
                key = ValidationResultIdentifier(
                    expectation_suite_identifier=ExpectationSuiteIdentifier(name=run.suite.name),
                    run_id=run_id,
                    batch_identifier=batch.id,
                )
                pending.append((key, suite_result))
        for outcome in outcomes.values():
            outcome.passed = not outcome.critical_failures
            self._outcomes[outcome.load_id] = outcome
        self._docs_pending.append((ids, pending))
        return outcomes

    def _verdicts(
        self,
        run: _SuiteRun,
        res: Any,
        ids: list[str],
        shared: bool,
        frame: pd.DataFrame,
        complete: dict[str, Any],
    ) -> list[tuple[str, Verdict]]:
        """(load_id, (success, result, exception)) for each load, from one result of a
        suite run over all of them."""
        info = res.exception_info or {}
        exception = info.get("exception_message") if info.get("raised_exception") else None
        result = dict(res.result or {})
        success = bool(res.success) and not exception
        index = result.get("unexpected_index_list")
        if success or exception or shared:
            return [(lid, (success, result, exception)) for lid in ids]
        if index is None:
            if len(ids) == 1:
                return [(ids[0], (False, result, None))]
            # not attributable to rows (never seen with the suites' expectation types):
            # run this expectation on each load's rows on its own
            expectation = run.expectations[str(res.expectation_config.id)]
            out = []
            for lid in ids:
                rows = frame[frame["load_id"] == lid].reset_index(drop=True)
                batch = run.batch_definition.get_batch(batch_parameters={"dataframe": rows})
                one = batch.validate(expectation, result_format=complete)
                out += self._verdicts(run, one, [lid], shared, rows, complete)
            return out
        by_load: dict[str, list[dict[str, Any]]] = {}
        for item in index:
            item = dict(item)
            by_load.setdefault(item.pop("load_id", None), []).append(item)
        out = []
        for lid in ids:
            items = by_load.get(lid)
            if items:
                out.append((lid, (False, {"unexpected_index_list": items,
                                          "unexpected_count": len(items)}, None)))
            else:
                out.append((lid, (True, {}, None)))
        return out

    def _frame_missing(self, outcome: ValidationOutcome, spec: SuiteSpec, at: datetime) -> None:
        message = f"{spec.table}: frame {spec.frame} could not be built (staged columns missing?)"
        outcome.critical_failures.append(message)
        outcome.results.append(
            {
                "load_id": outcome.load_id,
                "suite_name": spec.name,
                "expectation_type": "dxplan_frame_build",
                "column_name": None,
                "severity": "critical",
                "success": False,
                "unexpected_count": None,
                "details": json.dumps(
                    {"rule": "frame_build", "message": message}, ensure_ascii=False
                ),
                "validated_at": at,
            }
        )

    def _collect(
        self, outcome: ValidationOutcome, run: _SuiteRun, res: Any, verdict: Verdict, at: datetime
    ) -> None:
        spec = run.spec
        config = res.expectation_config
        meta = dict(config.meta or {})
        kwargs = dict(config.kwargs or {})
        success, result, exception = verdict
        message = None if success else _describe_failure(spec, meta, kwargs, result, exception)
        if message:
            target = (
                outcome.critical_failures if meta["severity"] == "critical" else outcome.warnings
            )
            target.append(message)
        unexpected = result.get("unexpected_index_list") or []
        details = {
            "rule": meta.get("rule"),
            "description": meta.get("description"),
            "table": spec.table,
            "frame": spec.frame,
            "kwargs": {k: v for k, v in kwargs.items() if k not in ("batch_id",)},
            "message": message,
            "observed_value": result.get("observed_value"),
            "unexpected": unexpected[:DETAIL_ROWS],
            "exception": exception,
        }
        count = result.get("unexpected_count", result.get("missing_count"))
        if count is None and success and str(config.id) in run.row_level:
            count = 0  # passed in the BOOLEAN_ONLY pass, which reports no counts
        outcome.results.append(
            {
                "load_id": outcome.load_id,
                "suite_name": spec.name,
                "expectation_type": config.type,
                "column_name": ",".join(_checked_columns(kwargs)) or None,
                "severity": meta["severity"],
                "success": success,
                "unexpected_count": int(count) if count is not None else None,
                "details": json.dumps(_jsonable(details), ensure_ascii=False, default=str),
                "validated_at": at,
            }
        )

    # .................................................................. data docs

    def build_data_docs(self) -> Path | None:
        """Write GX data docs (suites + this run's validation results) and a
        self-contained summary page to ``data_docs_dir``; return GX's index.html (the
        summary page if GX's docs could not be built).

        GX's pages load Bootstrap/jQuery from CDNs, so offline they render unstyled
        and GX's index list (drawn by JavaScript) stays empty; ``dxplan_validation.html``
        (no external assets) lists every load's outcome and failing rules and links
        to each load's GX validation pages.
        """
        if self.data_docs_dir is None:
            return None
        self.data_docs_dir.mkdir(parents=True, exist_ok=True)
        store = self._ctx.validation_results_store
        # GX renders ~0.2 s of pages per suite run: keep GX pages for the runs with a
        # rejected load and the first few others (a backfill validates loads in few runs,
        # a fallback after a rejection in more); the summary page covers every load.
        failed = {lid for lid, o in self._outcomes.items() if not o.passed}
        kept = 0
        for ids, pending in self._docs_pending:  # stored here: it is slow
            if not failed.intersection(ids):
                if kept >= MAX_GX_DOC_RUNS:
                    continue
                kept += 1
            links: dict[str, str] = {}
            for key, suite_result in pending:
                store.set(key, suite_result)
                links[key.to_tuple()[0]] = "validations/" + "/".join(key.to_tuple()) + ".html"
            for lid in ids:
                self._doc_links[lid] = links
        self._docs_pending.clear()
        summary = self.data_docs_dir / "dxplan_validation.html"
        try:
            self._ctx.build_data_docs(site_names=[_SITE_NAME])
        except Exception:  # docs are a by-product: never fail a run over them
            log.exception("GX data docs could not be built; writing %s only", summary.name)
            index = None
        else:
            index = self.data_docs_dir / "index.html"
        summary.write_text(
            render_summary_html(list(self._outcomes.values()), self.specs, self._doc_links),
            encoding="utf-8",
        )
        return index or summary


def render_summary_html(
    outcomes: list[ValidationOutcome],
    specs: list[SuiteSpec],
    links: dict[str, dict[str, str]] | None = None,
) -> str:
    """A small static page: one section per validated load (with links to its GX
    validation pages), then the rule catalogue."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>",
        "<title>dxplan validation</title><style>",
        "body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px;"
        "vertical-align:top}table{border-collapse:collapse}.fail{color:#b00}.warn{color:#a60}"
        ".ok{color:#070}",
        "</style></head><body><h1>dxplan validation</h1>",
        "<p>Great Expectations data docs: <a href='index.html'>index.html</a></p>",
    ]
    for o in outcomes:
        status = (
            "<span class='ok'>passed</span>" if o.passed else "<span class='fail'>REJECTED</span>"
        )
        failed = sum(1 for r in o.results if not r["success"])
        parts.append(
            f"<h2>load {esc(o.load_id)}: {status}</h2>"
            f"<p>{len(o.results)} expectations, {failed} failed "
            f"({len(o.critical_failures)} critical, {len(o.warnings)} warnings)</p>"
        )
        pages = (links or {}).get(o.load_id, {})
        if pages:
            anchors = [
                f"<a href='{esc(quote(path))}'>{esc(suite)}</a>"
                for suite, path in sorted(pages.items())
            ]
            parts.append("<p>GX validation pages: " + " · ".join(anchors) + "</p>")
        items = [("fail", m) for m in o.critical_failures] + [("warn", m) for m in o.warnings]
        if items:
            parts.append("<ul>")
            parts += [f"<li class='{c}'>{esc(m)}</li>" for c, m in items]
            parts.append("</ul>")
    parts.append(
        "<h2>Rules</h2><table><tr><th>suite</th><th>rule</th><th>severity</th>"
        "<th>expectation</th><th>description</th></tr>"
    )
    for spec in specs:
        for exp in spec.body["expectations"]:
            m = exp["meta"]
            parts.append(
                f"<tr><td>{esc(spec.name)}</td><td>{esc(m['rule'])}</td>"
                f"<td>{esc(m['severity'])}</td><td>{esc(exp['type'])}</td>"
                f"<td>{esc(m['description'])}</td></tr>"
            )
    parts.append("</table></body></html>")
    return "\n".join(parts)


def default_expectations_dir() -> Path:
    """The shipped suites: ``dxplan/_bundle/expectations`` in a wheel, ``expectations/``
    at the repository root in a source checkout (see dxplan.workdir)."""
    from dxplan.workdir import resource_dir

    return resource_dir("expectations")


__all__ = [
    "ValidationOutcome",
    "Validator",
    "default_expectations_dir",
    "judge_evaluation",
    "load_suite_specs",
    "record_results",
]
