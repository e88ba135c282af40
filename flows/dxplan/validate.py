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
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

SEVERITIES = ("critical", "warning")
BASE_FRAMES = ("staging_columns", "loads", "report_rows", "kpis", "kpi_targets")
DERIVED_FRAMES = ("cross_projects", "cross_row_refs", "cross_kpis")
FRAMES = BASE_FRAMES + DERIVED_FRAMES
#: KPI numbers above this are out of range (rule kpi_no_range) and not used to
#: build the 1..N numbering frame.
MAX_KPI_NO = 999
#: validation runs (validate_loads calls) per pipeline run whose GX data-docs pages are
#: rendered besides those with a rejected load
MAX_GX_DOC_RUNS = 10
#: how many failing rows a message names, and how many the audit details keep
MESSAGE_ROWS = 10
DETAIL_ROWS = 100
_FLOAT_TOL = 1e-9

_DATA_SOURCE = "dxplan_staging"
_BATCH_DEFINITION = "whole_load"
_SITE_NAME = "dxplan"


# ----------------------------------------------------------------------------- outcome


@dataclass
class ValidationOutcome:
    load_id: str
    passed: bool  # False iff any critical expectation failed
    critical_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # audit.validation_results rows


_RESULT_COLUMNS = (
    "load_id",
    "suite_name",
    "expectation_type",
    "column_name",
    "severity",
    "success",
    "unexpected_count",
    "details",
    "validated_at",
)


def record_results(con: duckdb.DuckDBPyConnection, *outcomes: ValidationOutcome) -> None:
    """Insert the outcomes' result rows into ``audit.validation_results``."""
    rows = [[r[c] for c in _RESULT_COLUMNS] for o in outcomes for r in o.results]
    if not rows:
        return
    from dxplan.stage import insert_rows

    # _RESULT_COLUMNS is the table's column order (stage.DDL)
    insert_rows(con, "audit.validation_results", rows)


# ----------------------------------------------------------------------------- suites


@dataclass(frozen=True)
class SuiteSpec:
    """One suite file: which frame it validates and how its rows are named."""

    name: str
    frame: str
    table: str
    id_columns: tuple[str, ...]
    path: Path
    body: dict[str, Any]


def load_suite_specs(expectations_dir: Path) -> list[SuiteSpec]:
    """Read and check every ``*.json`` suite file (sorted by name).

    Raises ValueError naming the file when a suite is malformed: no frame, an
    unknown frame, an expectation without severity/rule/description, or a rule id
    used twice.
    """
    paths = sorted(Path(expectations_dir).glob("*.json"))
    if not paths:
        raise ValueError(f"no expectation suites (*.json) in {expectations_dir}")
    specs: list[SuiteSpec] = []
    rules: dict[str, str] = {}
    for path in paths:
        body = json.loads(path.read_text(encoding="utf-8"))
        name = body.get("name")
        dx = (body.get("meta") or {}).get("dxplan") or {}
        frame = dx.get("frame")
        if not name or frame not in FRAMES:
            raise ValueError(f"{path.name}: needs a name and meta.dxplan.frame in {FRAMES}")
        if not body.get("expectations"):
            raise ValueError(f"{path.name}: has no expectations")
        for i, exp in enumerate(body["expectations"]):
            meta = exp.get("meta") or {}
            where = f"{path.name} expectation {i} ({exp.get('type')})"
            if meta.get("severity") not in SEVERITIES:
                raise ValueError(f"{where}: meta.severity must be one of {SEVERITIES}")
            rule = meta.get("rule")
            if not rule or not meta.get("description"):
                raise ValueError(f"{where}: meta needs a rule and a description")
            if rule in rules:
                raise ValueError(f"{where}: rule {rule!r} already used in {rules[rule]}")
            rules[rule] = path.name
        specs.append(
            SuiteSpec(
                name=name,
                frame=frame,
                table=dx.get("table") or frame,
                id_columns=tuple(dx.get("id_columns") or ()),
                path=path,
                body=body,
            )
        )
    return specs


def _gx_suite_dict(spec: SuiteSpec) -> dict[str, Any]:
    """The suite as GX wants it: GX's own ``severity`` field mirrors meta.severity."""
    expectations = []
    for exp in spec.body["expectations"]:
        exp = dict(exp)
        exp["severity"] = exp["meta"]["severity"]
        expectations.append(exp)
    return {"name": spec.name, "expectations": expectations, "meta": spec.body.get("meta", {})}


# ----------------------------------------------------------------------------- frames


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Give DuckDB's pandas output stable dtypes for GX.

    Integers -> nullable Int64 (DuckDB yields int32 or Int32 depending on NULLs),
    booleans -> nullable boolean, text -> object with None instead of pandas 3's
    ``str`` dtype with NaN. Floats and timestamps stay as they are.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("boolean")
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[col] = s.astype("Int64")
        elif pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            out[col] = s.astype(object).where(s.notna(), None)
    return out


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Any) -> pd.DataFrame:
    return _tidy(con.execute(sql, params).fetch_df())


def fetch_base_frames(
    con: duckdb.DuckDBPyConnection, load_ids: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """Read the staged rows of the given loads into pandas (parameterised SQL only).

    Rows come in the order of ``load_ids``; ``loads`` has one row per requested id,
    also for an id with nothing staged (``staged_load_rows`` = 0).
    """
    ids = {"ids": list(load_ids)}
    columns = _fetch(
        con,
        """
        SELECT table_name || '.' || column_name || ' ' || data_type AS column_type
          FROM information_schema.columns
         WHERE table_schema = 'staging'
         ORDER BY table_name, ordinal_position
        """,
        [],
    )
    loads = _fetch(
        con,
        """
        WITH req AS (
            SELECT unnest($ids) AS load_id, generate_subscripts($ids, 1) AS load_order
        ), own_rows AS (
            SELECT load_id, count(*) AS n FROM staging.report_rows
             WHERE NOT is_relisted GROUP BY load_id
        )
        SELECT req.load_id,
               l.* EXCLUDE (load_id),
               (SELECT count(*) FROM staging.loads x WHERE x.load_id = req.load_id)
                   AS staged_load_rows,
               (SELECT count(*) FROM staging.report_rows r WHERE r.load_id = req.load_id)
                   AS staged_row_count,
               coalesce(own.n, 0) AS own_project_rows,
               (SELECT count(*) FROM staging.kpis k WHERE k.load_id = req.load_id)
                   AS staged_kpi_count,
               year(l.as_of_date) - l.report_fiscal_year AS as_of_year_offset,
               coalesce(own.n, 0) / nullif(replaced.own_rows, 0) AS project_rows_vs_replaced,
               coalesce(own.n, 0) / nullif(previous.own_rows, 0) AS project_rows_vs_previous_year
          FROM req
          LEFT JOIN staging.loads l ON l.load_id = req.load_id
          LEFT JOIN own_rows own ON own.load_id = req.load_id
          -- a truncated file has far fewer projects than the report it replaces (a re-issue
          -- of the same year) or than the latest earlier report year. Loads validated
          -- together were staged in report-year order, so both look only at loads staged
          -- before this one (see dxplan.pipeline).
          LEFT JOIN LATERAL (
                SELECT coalesce(o.n, 0) AS own_rows
                  FROM staging.loads p LEFT JOIN own_rows o USING (load_id)
                 WHERE p.superseded_by = req.load_id
                 ORDER BY p.loaded_at DESC LIMIT 1
          ) replaced ON true
          LEFT JOIN LATERAL (
                SELECT coalesce(o.n, 0) AS own_rows
                  FROM staging.loads p LEFT JOIN own_rows o USING (load_id)
                 WHERE p.is_current AND p.report_fiscal_year < l.report_fiscal_year
                 ORDER BY p.report_fiscal_year DESC LIMIT 1
          ) previous ON true
         ORDER BY req.load_order
        """,
        ids,
    )
    order = "list_position($ids, load_id)"
    where = "WHERE load_id IN (SELECT unnest($ids))"
    rows = _fetch(
        con, f"SELECT * FROM staging.report_rows {where} ORDER BY {order}, source_row_no", ids
    )
    kpis = _fetch(
        con, f"SELECT * FROM staging.kpis {where} ORDER BY {order}, kpi_no, source_row_no", ids
    )
    targets = _fetch(
        con,
        f"SELECT * FROM staging.kpi_targets {where} ORDER BY {order}, kpi_no, fiscal_year",
        ids,
    )
    return {
        "staging_columns": columns,
        "loads": loads,
        "report_rows": rows,
        "kpis": kpis,
        "kpi_targets": targets,
    }


def _present(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _val(value: Any) -> Any:
    """A plain Python value (None for any missing marker)."""
    if not _present(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def norm_text(value: Any) -> str | None:
    """NFKC, all whitespace removed: the form two printed names are compared in."""
    if not _present(value):
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    return text or None


def _rows_list(values: Iterable[Any]) -> str | None:
    nums = sorted({int(v) for v in values if _present(v)})
    return ",".join(str(n) for n in nums) or None


def _variants(values: Iterable[Any], key: Callable[[Any], Any] = norm_text) -> list[Any]:
    seen = {key(v) for v in values if _present(v)}
    seen.discard(None)
    return sorted(seen, key=str)


Record = dict[str, Any]
#: what a derived-frame builder returns: records, the columns it adds, its flag columns
Derived = tuple[list[Record], list[str], list[str]]
#: one load's share of an expectation result: success, GX result dict, exception message
Verdict = tuple[bool, dict[str, Any], str | None]


def _records(df: pd.DataFrame) -> list[Record]:
    """Rows as dicts of plain Python values (None for any missing marker)."""
    cols = list(df.columns)
    return [
        {c: _val(v) for c, v in zip(cols, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]


def _frame(records: list[Record], columns: list[str], flags: Iterable[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    flags = set(flags)
    for col in columns:  # whole numbers with gaps: Int64, not float (pandas' default)
        values = [r.get(col) for r in records]
        present = [v for v in values if v is not None]
        if col not in flags and present and all(
            isinstance(v, int) and not isinstance(v, bool) for v in present
        ):
            frame[col] = pd.array(values, dtype="Int64")
    for col in flags:  # True/False/None check columns: object, so None stays "not applicable"
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return _tidy(frame)


def _kpi_targets_frame(recs: list[Record], kpis: list[Record]) -> Derived:
    """kpi_targets + unit of the KPI, kpi_defined, years_from_report, same_year_values,
    key_rows (target rows of the same KPI and year)."""
    units: dict[int, Any] = {}
    for k in kpis:
        if k["kpi_no"] is not None:
            units.setdefault(k["kpi_no"], k["unit"])
    values: dict[tuple[Any, Any], set[float]] = {}
    key_rows: dict[tuple[Any, Any], int] = {}
    for t in recs:
        key = (t["kpi_no"], t["fiscal_year"])
        values.setdefault(key, set())
        key_rows[key] = key_rows.get(key, 0) + 1
        if t["target_value"] is not None:
            values[key].add(t["target_value"])
    for t in recs:
        kno, year, report_year = t["kpi_no"], t["fiscal_year"], t["report_fiscal_year"]
        t["unit"] = units.get(kno)
        t["kpi_defined"] = None if kno is None else kno in units
        t["years_from_report"] = None if year is None or report_year is None else year - report_year
        t["same_year_values"] = len(values[(kno, year)])
        t["key_rows"] = key_rows[(kno, year)]
    return recs, ["unit", "kpi_defined", "years_from_report", "same_year_values", "key_rows"], [
        "kpi_defined"
    ]


def _report_rows_frame(rows: list[Record]) -> Derived:
    """report_rows + project_no_rows: non-再掲 rows of the load with this row's project number."""
    counts: dict[Any, int] = {}
    for r in rows:
        if r["is_relisted"] is False and r["project_no"] is not None:
            counts[r["project_no"]] = counts.get(r["project_no"], 0) + 1
    for r in rows:
        own = r["is_relisted"] is False and r["project_no"] is not None
        r["project_no_rows"] = counts[r["project_no"]] if own else None
    return rows, ["project_no_rows"], []


def _cross_projects(rows: list[Record]) -> Derived:
    fields = ("project_name", "department", "division")
    groups: dict[int, list[Record]] = {}
    for r in rows:
        if r["is_relisted"] is False and r["project_no"] is not None:
            groups.setdefault(r["project_no"], []).append(r)
    records = []
    for pno in sorted(groups):
        grp = groups[pno]
        variants = {f: _variants(r[f] for r in grp) for f in fields}
        conflicts = [f"{f}: {' / '.join(v)}" for f, v in variants.items() if len(v) > 1]
        records.append(
            {
                "project_no": pno,
                "source_rows": _rows_list(r["source_row_no"] for r in grp),
                "n_rows": len(grp),
                "attribute_variants": max(len(v) for v in variants.values()),
                "conflicting_fields": "; ".join(conflicts) or None,
            }
        )
    columns = ["project_no", "source_rows", "n_rows", "attribute_variants", "conflicting_fields"]
    return records, columns, []


def _cross_row_refs(rows: list[Record], kpis: list[Record]) -> Derived:
    own_projects = {
        r["project_no"] for r in rows if r["is_relisted"] is False and r["project_no"] is not None
    }
    kpi_rows: dict[int, set[int]] = {}
    kpi_eval: dict[int, str] = {}
    for k in kpis:
        if k["kpi_no"] is None:
            continue
        kpi_rows.setdefault(k["kpi_no"], set())
        if k["source_row_no"] is not None:
            kpi_rows[k["kpi_no"]].add(k["source_row_no"])
        if k["evaluation"] is not None:
            kpi_eval.setdefault(k["kpi_no"], k["evaluation"])
    records = []
    for r in rows:
        srn, pno, kno, ev = r["source_row_no"], r["project_no"], r["kpi_no"], r["evaluation"]
        notes: list[str] = []
        target_found = kpi_found = defined_here = eval_match = None
        if r["is_relisted"] is True and pno is not None:
            target_found = pno in own_projects
            if not target_found:
                notes.append(f"再掲 of project {pno}, which has no numbered row in this report")
        if kno is not None:
            kpi_found = kno in kpi_rows
            if not kpi_found:
                notes.append(f"KPI {kno} is not defined in staging.kpis")
            elif r["kpi_is_relisted"] is not True:
                defined_here = srn in kpi_rows[kno]
                if not defined_here:
                    where = _rows_list(kpi_rows[kno]) or "no row"
                    notes.append(
                        f"KPI {kno} is this row's own KPI but is defined on row(s) {where}"
                    )
            if ev is not None and kpi_eval.get(kno) is not None:
                eval_match = ev == kpi_eval[kno]
                if not eval_match:
                    notes.append(f"row evaluation {ev} vs KPI {kno} evaluation {kpi_eval[kno]}")
        records.append(
            {
                "source_row_no": srn,
                "project_no": pno,
                "kpi_no": kno,
                "relisted_target_found": target_found,
                "kpi_found": kpi_found,
                "kpi_defined_here": defined_here,
                "evaluation_matches_kpi": eval_match,
                "detail": "; ".join(notes) or None,
            }
        )
    flags = ["relisted_target_found", "kpi_found", "kpi_defined_here", "evaluation_matches_kpi"]
    columns = ["source_row_no", "project_no", "kpi_no", *flags, "detail"]
    return records, columns, flags


def judge_evaluation(
    *,
    direction: str | None,
    target: float | None,
    comparator: str | None,
    actual: float | None,
    evaluation: str | None,
) -> tuple[bool | None, str | None]:
    """Does the report's evaluation agree with actual vs target? (None: undecidable).

    達成 must mean the target was met; 一部達成 / 未達成 that it was not. Met means
    actual >= target for ``increase``/``maintain`` and actual <= target for
    ``decrease``; a target comparator (以上/以下, more/less than) overrides the
    direction. Approximate targets (ほぼ) are not judged.
    """
    if target is None or actual is None or evaluation is None or comparator == "approximately":
        return None, None
    tol = _FLOAT_TOL * max(1.0, abs(target))
    if comparator == "less_than":
        met, sign = actual < target, "<"
    elif comparator == "more_than":
        met, sign = actual > target, ">"
    elif comparator == "at_most" or (comparator is None and direction == "decrease"):
        met, sign = actual <= target + tol, "<="
    else:
        met, sign = actual >= target - tol, ">="
    if (evaluation == "達成") == met:
        return True, None
    verdict = "meets" if met else "misses"
    return False, (
        f"evaluation {evaluation} but actual {actual:g} {verdict} target {target:g} "
        f"(met means actual {sign} target; direction {direction}, comparator {comparator})"
    )


def _cross_kpis(
    kpis: list[Record], targets: list[Record], rows: list[Record], report_year: int | None
) -> Derived:
    by_no: dict[int, list[Record]] = {}
    for k in kpis:
        if k["kpi_no"] is not None:
            by_no.setdefault(k["kpi_no"], []).append(k)
    refs: dict[int, list[int]] = {}
    for r in rows:
        if r["kpi_no"] is not None:
            refs.setdefault(r["kpi_no"], []).append(r["source_row_no"])
    year_targets: dict[int, Record] = {}
    for t in targets:
        if t["fiscal_year"] == report_year and t["target_value"] is not None:
            year_targets.setdefault(t["kpi_no"], t)
    in_range = [k for k in (*by_no, *refs) if 1 <= k <= MAX_KPI_NO]
    numbers = sorted(set(range(1, max(in_range) + 1)) | set(in_range)) if in_range else []
    records = []
    for no in numbers:
        defs = by_no.get(no, [])
        notes: list[str] = []
        variants = {
            "indicator_name": _variants(d["indicator_name"] for d in defs),
            "unit": _variants(d["unit"] for d in defs),
            "direction": _variants((d["direction"] for d in defs), key=_val),
            "baseline_value": _variants(
                (d["baseline_value"] for d in defs), key=lambda v: round(float(v), 9)
            ),
        }
        if not defs:
            where = _rows_list(refs.get(no, []))
            notes.append(
                f"KPI {no} is not defined" + (f" (referenced by rows {where})" if where else "")
            )
        notes += [f"{f}: {' / '.join(map(str, v))}" for f, v in variants.items() if len(v) > 1]
        has_target = consistent = None
        if len(defs) == 1:
            kpi, target = defs[0], year_targets.get(no)
            has_target = target is not None
            if target is None:
                notes.append(f"no target for the report year {report_year}")
            else:
                consistent, why = judge_evaluation(
                    direction=kpi["direction"],
                    target=target["target_value"],
                    comparator=target["target_comparator"],
                    actual=kpi["actual_value"],
                    evaluation=kpi["evaluation"],
                )
                if why:
                    notes.append(why)
        records.append(
            {
                "kpi_no": no,
                "source_rows": _rows_list(d["source_row_no"] for d in defs),
                "defined_count": len(defs),
                "attribute_variants": max(len(v) for v in variants.values()),
                "referenced_rows": _rows_list(refs.get(no, [])),
                "has_report_year_target": has_target,
                "evaluation_consistent": consistent,
                "detail": "; ".join(notes) or None,
            }
        )
    flags = ["has_report_year_target", "evaluation_consistent"]
    columns = [
        "kpi_no",
        "source_rows",
        "defined_count",
        "attribute_variants",
        "referenced_rows",
        *flags,
        "detail",
    ]
    return records, columns, flags


def build_frames(base: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Base frames plus the derived ones, for every load in ``base["loads"]``.

    Derived rows are computed load by load (a load is only ever compared with itself)
    and carry ``load_id``, so that one GX run over all loads can name the load of each
    failing row. A derived frame that cannot be built (e.g. a required column is
    missing) is left out; the caller reports it.
    """
    frames = dict(base)
    loads = _records(base["loads"])
    try:
        tables = {n: _records(base[n]) for n in ("report_rows", "kpis", "kpi_targets")}
    except KeyError:  # pragma: no cover - base frames always exist
        return frames
    by_load: dict[str, dict[str, list[Record]]] = {}
    for name, records in tables.items():
        for rec in records:
            by_load.setdefault(rec.get("load_id"), {}).setdefault(name, []).append(rec)

    def per_load(lid: str, name: str) -> list[Record]:
        return by_load.get(lid, {}).get(name, [])

    # base frames that get derived columns (computed on their own records, in place)
    extend: dict[str, Callable[[str], Derived]] = {
        "report_rows": lambda lid: _report_rows_frame(per_load(lid, "report_rows")),
        "kpi_targets": lambda lid: _kpi_targets_frame(
            per_load(lid, "kpi_targets"), per_load(lid, "kpis")),
    }
    for name, build in extend.items():
        try:
            added: list[str] = []
            flags: list[str] = []
            for load in loads:
                _, added, flags = build(load["load_id"])
            if not added:  # no load: the columns are still needed, for GX
                _, added, flags = build("")
            extra = _frame([{c: r.get(c) for c in added} for r in tables[name]], added, flags)
            frames[name] = pd.concat(
                [base[name].drop(columns=added, errors="ignore").reset_index(drop=True), extra],
                axis=1,
            )
        except (KeyError, AttributeError, TypeError, ValueError) as exc:
            log.warning("derived columns of %s could not be built: %r", name, exc)

    # frames of their own, one or more rows per load
    derive: dict[str, Callable[[str, Any], Derived]] = {
        "cross_projects": lambda lid, _: _cross_projects(per_load(lid, "report_rows")),
        "cross_row_refs": lambda lid, _: _cross_row_refs(
            per_load(lid, "report_rows"), per_load(lid, "kpis")),
        "cross_kpis": lambda lid, year: _cross_kpis(
            per_load(lid, "kpis"), per_load(lid, "kpi_targets"), per_load(lid, "report_rows"),
            year),
    }
    for name, build in derive.items():
        try:
            records: list[Record] = []
            columns, flags = [], []
            for load in loads:
                recs, columns, flags = build(load["load_id"], load.get("report_fiscal_year"))
                records += [{"load_id": load["load_id"], **r} for r in recs]
            frames[name] = _frame(records, ["load_id", *columns], flags)
        except (KeyError, AttributeError, TypeError, ValueError) as exc:
            log.warning("frame %s could not be built: %r", name, exc)
            frames.pop(name, None)
    return frames


# ----------------------------------------------------------------------------- messages


def _fmt_value(value: Any) -> str:
    value = _val(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic | pd.Timestamp | datetime):
        return _jsonable(value.item() if isinstance(value, np.generic) else value.isoformat())
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _checked_columns(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    return cols + list(kwargs.get("column_list") or [])


def _describe_failure(
    spec: SuiteSpec,
    meta: dict[str, Any],
    kwargs: dict[str, Any],
    result: dict[str, Any],
    exception: str | None,
) -> str:
    head = f"{spec.table}: rule {meta['rule']} ({meta['severity']}) failed — {meta['description']}"
    if exception:
        return f"{head}: expectation raised {exception}"
    index = result.get("unexpected_index_list")
    if index:
        parts = []
        for item in index[:MESSAGE_ROWS]:
            keys = [k for k in spec.id_columns if k in item]
            keys += [k for k in item if k not in keys]
            shown = [f"{k}={_fmt_value(item[k])}" for k in keys if _present(item[k])]
            parts.append(", ".join(shown))
        more = f"; … and {len(index) - MESSAGE_ROWS} more" if len(index) > MESSAGE_ROWS else ""
        return f"{head}: " + "; ".join(parts) + more
    observed = result.get("observed_value")
    missing = result.get("partial_missing_list")
    if missing:  # *_distinct_values_to_contain_set
        count = result.get("missing_count", len(missing))
        return f"{head}: {count} missing: {', '.join(map(str, missing))}"
    expected = kwargs.get("value_set")
    if isinstance(observed, list) and isinstance(expected, list):
        absent = sorted(set(expected) - set(observed), key=str)
        return f"{head}: missing {', '.join(map(str, absent))}"
    extra = result.get("details", {}).get("mismatched") if result.get("details") else None
    if extra:
        return f"{head}: {json.dumps(_jsonable(extra), ensure_ascii=False)}"
    return f"{head}: observed {_fmt_value(observed)}"


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
        frames = build_frames(fetch_base_frames(con, ids))
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
