"""Frames: the staged rows of some loads as DataFrames for GX, read by SQL.

Every frame is one DuckDB query over the staging tables (see :mod:`dxplan.validation.sql`):
the base frames (``staging_columns``, ``loads``, ``report_rows``, ``kpis``,
``kpi_targets``; the last two with a few derived columns) and the derived frames of
the cross-table rules (``cross_projects``, ``cross_row_refs``, ``cross_kpis``). The suite
files' ``meta.dxplan.notes`` say what each derived column means.

A frame whose query needs a staged column that is missing is left out (the caller
reports it); a base frame with derived columns then falls back to its plain rows.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from dxplan.validation import sql

log = logging.getLogger(__name__)

#: one load's share of an expectation result: success, GX result dict, exception message
Verdict = tuple[bool, dict[str, Any], str | None]

#: True/False/None check columns: kept as objects, so None stays "not applicable" for GX
FLAG_COLUMNS = frozenset(
    {
        "kpi_defined",
        "relisted_target_found",
        "kpi_found",
        "kpi_defined_here",
        "evaluation_matches_kpi",
        "has_report_year_target",
        "evaluation_consistent",
    }
)


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
    """NFKC, all whitespace removed: the form two printed names are compared in
    (DuckDB has no NFKC, so the queries call this as the function ``dxplan_norm``)."""
    if not _present(value):
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    return text or None


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Give DuckDB's pandas output stable dtypes for GX.

    Integers -> nullable Int64 (DuckDB yields int32 or Int32 depending on NULLs),
    booleans -> nullable boolean (check columns: object with None), text -> object with
    None instead of pandas 3's ``str`` dtype with NaN. Floats and timestamps stay.
    """
    columns: dict[str, Any] = {}
    for col in df.columns:
        s = df[col]
        if col in FLAG_COLUMNS or pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            columns[col] = pd.Series(
                s.to_numpy(dtype=object, na_value=None), index=df.index, dtype=object
            )
        elif pd.api.types.is_bool_dtype(s.dtype):
            columns[col] = s.astype("boolean")
        elif pd.api.types.is_integer_dtype(s.dtype):
            columns[col] = s.astype("Int64")
        else:
            columns[col] = s
    return pd.DataFrame(columns, index=df.index)


def _staged_columns(columns: pd.DataFrame) -> set[str]:
    """``table.column`` of every staged column (from the structure frame)."""
    return {str(c).split(" ", 1)[0] for c in columns["column_type"]}


def fetch_frames(
    con: duckdb.DuckDBPyConnection, load_ids: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """Every frame the suites validate, for the given loads (parameterised SQL only).

    Rows come in the order of ``load_ids``; ``loads`` has one row per requested id,
    also for an id with nothing staged (``staged_load_rows`` = 0). Every per-load row
    carries ``load_id``, so that one GX run over all loads can name the load of each
    failing row; a load is only ever compared with itself.
    """
    params = {"ids": list(load_ids)}
    frames = {"staging_columns": _tidy(con.execute(sql.STAGING_COLUMNS).fetch_df())}
    staged = _staged_columns(frames["staging_columns"])
    con.create_function(
        sql.NORM_FUNCTION, norm_text, ["VARCHAR"], "VARCHAR", null_handling="special"
    )
    try:
        for query in sql.QUERIES:
            missing = sorted(query.needs - staged)
            if missing:
                log.warning("frame %s could not be built: missing %s", query.frame, missing)
                if query.fallback is None:
                    continue
                text = query.fallback
            else:
                text = query.text
            frames[query.frame] = _tidy(con.execute(text, params).fetch_df())
    finally:
        con.remove_function(sql.NORM_FUNCTION)
    return frames


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

    The rule is SQL (:data:`dxplan.validation.sql.JUDGE_EVALUATION`, used by the
    ``cross_kpis`` frame); this runs that same expression on the given values.
    """
    query = (
        "SELECT consistent, why FROM (SELECT $direction::VARCHAR AS direction, "
        "$target::DOUBLE AS target, $comparator::VARCHAR AS comparator, "
        "$actual::DOUBLE AS actual, $evaluation::VARCHAR AS evaluation) AS input, "
        f"LATERAL ({sql.JUDGE_EVALUATION}) AS judged"
    )
    values = {
        "direction": direction,
        "target": target,
        "comparator": comparator,
        "actual": actual,
        "evaluation": evaluation,
    }
    with duckdb.connect() as con:
        consistent, why = con.execute(query, values).fetchone()
    return consistent, why


__all__ = ["FLAG_COLUMNS", "Verdict", "fetch_frames", "judge_evaluation", "norm_text"]
