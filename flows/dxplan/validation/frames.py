"""Frames: one load's staged tables as DataFrames, and the derived frames of the
cross-table rules (see the suite files' ``meta.dxplan.notes``)."""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from dxplan.validation.suites import _FLOAT_TOL, MAX_KPI_NO

log = logging.getLogger(__name__)
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


