"""Validate: the Great Expectations gate between staging and publishing.

One :class:`Validator` is built per run. It loads the expectation suites (versioned JSON
files under ``expectations/``, one per *frame*) into an ephemeral GX context once, as GX's
own objects: a pandas data source with one dataframe asset (and whole-dataframe batch
definition) per frame, and one ``ValidationDefinition`` per suite, run with the frame as
its batch parameter; each run stores its result in the context, from which
:meth:`Validator.build_data_docs` builds GX's data docs once per run.

No ``Checkpoint``: GX hands one set of batch parameters (here: the DataFrame) to every
validation definition of a checkpoint, so one checkpoint cannot span the frames, and a
checkpoint per frame only adds its own freshness check and serialisation to each run
(measured: +0.1 s per validation of 8 suites, +20 % on a small report) and actions that
would render the data docs on every run. Then it validates loads with
:meth:`Validator.validate_loads`.

GX cannot validate DuckDB through SQLAlchemy here, so every frame is read from DuckDB by
one SQL query (:mod:`dxplan.validation.sql`): the staged tables of the loads (plus
``staging_columns`` from information_schema for the structure check) and the derived
frames of the cross-table rules (``cross_projects``, ``cross_row_refs``, ``cross_kpis``),
so every rule goes through GX and lands in ``audit.validation_results``.

Every expectation carries ``meta = {"severity": "critical"|"warning", "rule": ...,
"description": ...}``. A load passes iff no *critical* expectation failed (an
expectation that raised counts as failed). Warnings are reported, never blocking.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dxplan.validation import outcomes as judged
from dxplan.validation.frames import fetch_frames, judge_evaluation
from dxplan.validation.suites import (
    _BATCH_DEFINITION,
    _DATA_SOURCE,
    _SITE_NAME,
    FRAMES,
    MAX_GX_DOC_RUNS,
    SuiteSpec,
    ValidationOutcome,
    _gx_suite_dict,
    load_suite_specs,
    record_results,
)
from dxplan.validation.summary import render_summary_html

log = logging.getLogger(__name__)

_BOOLEAN_ONLY = {"result_format": "BOOLEAN_ONLY"}


@dataclass(frozen=True)
class _Suite:
    spec: SuiteSpec
    order: dict[str, int]  # expectation id -> position in the suite file
    row_level: frozenset[str]  # ids of expectations that count unexpected rows
    expectations: dict[str, Any]  # id -> gx Expectation


@dataclass(frozen=True)
class _Gate:
    """One frame: its batch definition and the validation definitions of its suites."""

    frame: str
    batch_definition: Any  # gx BatchDefinition
    validations: tuple[Any, ...]  # gx ValidationDefinition, one per suite of the frame
    columns: frozenset[str]  # frame columns its suites read


class Validator:
    """GX context, suites and validation definitions, built once per run."""

    def __init__(self, expectations_dir: Path, data_docs_dir: Path | None = None) -> None:
        from dxplan.validation.gx_import import import_gx

        gx = import_gx()  # heavy: only when a Validator is built; first, see gx_import
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
        self._suites: dict[str, _Suite] = {}
        definitions: dict[str, list[Any]] = {}
        for spec in self.specs:
            suite = ctx.suites.add(gx.ExpectationSuite(**_gx_suite_dict(spec)))
            self._suites[spec.name] = _Suite(
                spec,
                {str(e.id): i for i, e in enumerate(suite.expectations)},
                frozenset(
                    str(e.id)
                    for e in suite.expectations
                    if isinstance(e, ColumnMapExpectation | ColumnPairMapExpectation
                                  | MulticolumnMapExpectation)
                ),
                {str(e.id): e for e in suite.expectations},
            )
            definitions.setdefault(spec.frame, []).append(suite)
        self._gates: list[_Gate] = []
        for frame in FRAMES:
            if frame not in definitions:
                continue
            batch_definition = source.add_dataframe_asset(
                frame
            ).add_batch_definition_whole_dataframe(_BATCH_DEFINITION)
            validations = tuple(
                ctx.validation_definitions.add(
                    gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=suite)
                )
                for suite in definitions[frame]
            )
            columns = set().union(
                *(judged.used_columns(self._suites[s.name].spec) for s in definitions[frame])
            )
            self._gates.append(_Gate(frame, batch_definition, validations, frozenset(columns)))
        self.context = ctx  # the GX data context (ephemeral) holding all of the above
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
        caller's open transaction) in ONE run of each suite. Writes nothing to
        DuckDB: see :func:`record_results`.

        Every frame holds the rows of all the loads, each row tagged with its ``load_id``,
        and every expectation is judged row by row (or, for the staging structure, on
        what all loads share), so each load's outcome is what validating it alone gives:
        GX's fixed cost per suite run (~0.15 s) is paid once, not once per load.

        The suites run with GX's cheapest result format (BOOLEAN_ONLY); only the
        expectations that failed are validated again with COMPLETE on the same batch,
        whose failing rows (named by the suite's id columns and ``load_id``) are handed
        to the loads they belong to. GX only sees the columns a suite reads.
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
        ran: dict[str, tuple[Any, list[tuple[str, Any]]]] = {}  # suite -> key, verdicts
        for gate in self._gates:
            frame = frames.get(gate.frame)
            if frame is None:
                continue
            shared = "load_id" not in frame.columns  # the staging structure: one for all
            keep = [c for c in frame.columns if c in gate.columns or c == "load_id"]
            frame = frame[keep] if keep else frame
            for validation in gate.validations:
                suite_result = validation.run(
                    batch_parameters={"dataframe": frame}, result_format=_BOOLEAN_ONLY,
                    run_id=run_id,
                )  # stored in the context's validation results store under this key:
                key = ValidationResultIdentifier(
                    expectation_suite_identifier=ExpectationSuiteIdentifier(
                        name=validation.suite.name
                    ),
                    run_id=run_id,
                    batch_identifier=suite_result.batch_id,
                )
                suite = self._suites[validation.suite.name]
                ran[suite.spec.name] = (
                    (key, suite_result),
                    self._judge(gate, suite, suite_result, frame, ids, shared),
                )
        pending: list[tuple[Any, Any]] = []
        for spec in self.specs:  # outcomes list the suites in file order
            if spec.name not in ran:
                for outcome in outcomes.values():
                    judged.frame_missing(outcome, spec, validated_at)
                continue
            stored, per_result = ran[spec.name]
            pending.append(stored)
            suite = self._suites[spec.name]
            for res, per_load in per_result:
                row_level = str(res.expectation_config.id) in suite.row_level
                for load_id, verdict in per_load:
                    judged.collect(outcomes[load_id], spec, res, verdict, validated_at,
                                   row_level)
        for outcome in outcomes.values():
            outcome.passed = not outcome.critical_failures
            self._outcomes[outcome.load_id] = outcome
        self._docs_pending.append((ids, pending))
        return outcomes

    def _judge(
        self, gate: _Gate, suite: _Suite, suite_result: Any, frame: Any, ids: list[str],
        shared: bool,
    ) -> list[tuple[Any, list[tuple[str, Any]]]]:
        """Each expectation result of one suite run, in suite-file order, with its
        verdict per load; failed expectations validated again with COMPLETE."""
        index_columns = [c for c in suite.spec.id_columns if c in frame.columns]
        if not shared and "load_id" not in index_columns:
            index_columns.append("load_id")
        complete: dict[str, Any] = {"result_format": "COMPLETE"}
        if index_columns:
            complete["unexpected_index_column_names"] = index_columns
        batch = None
        results = suite_result.results
        for i, res in enumerate(results):  # again only what failed, for the details
            if not res.success:
                batch = batch or gate.batch_definition.get_batch(
                    batch_parameters={"dataframe": frame}
                )
                expectation = suite.expectations[str(res.expectation_config.id)]
                results[i] = batch.validate(expectation, result_format=complete)
        ordered = sorted(
            results,
            key=lambda r: suite.order.get(str(r.expectation_config.id), len(suite.order)),
        )

        def alone(res: Any) -> judged.Revalidate:
            expectation = suite.expectations[str(res.expectation_config.id)]

            def revalidate(load_id: str) -> Any:
                rows = frame[frame["load_id"] == load_id].reset_index(drop=True)
                one = gate.batch_definition.get_batch(batch_parameters={"dataframe": rows})
                return one.validate(expectation, result_format=complete)

            return revalidate

        return [(res, judged.verdicts(res, ids, shared, alone(res))) for res in ordered]

    # .................................................................. data docs

    def build_data_docs(self) -> Path | None:
        """Write GX data docs (suites + this run's validation results) and a
        self-contained summary page to ``data_docs_dir``; return GX's index.html (the
        summary page if GX's docs could not be built).

        Every suite run stored its result in the context's validation results store; the
        docs are built from it once per run (what GX's UpdateDataDocsAction does for each
        checkpoint run, rendering the pages and the index again every time: measured
        3x the cost of validating, per run).
        GX renders ~0.2 s of pages per suite run: the runs with a rejected load and the
        first few others keep their results (with the failing rows found by the COMPLETE
        pass), the others are taken out of the store; the summary page covers every load.

        GX's pages load Bootstrap/jQuery from CDNs, so offline they render unstyled
        and GX's index list (drawn by JavaScript) stays empty; ``dxplan_validation.html``
        (no external assets) lists every load's outcome and failing rules and links
        to each load's GX validation pages.
        """
        if self.data_docs_dir is None:
            return None
        self.data_docs_dir.mkdir(parents=True, exist_ok=True)
        store = self._ctx.validation_results_store
        failed = {lid for lid, o in self._outcomes.items() if not o.passed}
        kept = 0
        for ids, pending in self._docs_pending:
            keep = bool(failed.intersection(ids)) or kept < MAX_GX_DOC_RUNS
            kept += keep and not failed.intersection(ids)
            links: dict[str, str] = {}
            for key, suite_result in pending:
                if not keep:
                    store.remove_key(key)
                    continue
                store.set(key, suite_result)  # with the failing rows of the COMPLETE pass
                links[key.to_tuple()[0]] = "validations/" + "/".join(key.to_tuple()) + ".html"
            if keep:
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
