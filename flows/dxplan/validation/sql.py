"""The SQL of the validation frames: one query per frame over the staging tables.

Every query takes ``$ids`` (the load ids, in order) and returns the rows of those loads
tagged with ``load_id``. Names are compared in the form ``dxplan_norm`` gives them (NFKC,
whitespace removed; a Python function registered for the query, see
:func:`dxplan.validation.frames.fetch_frames`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dxplan.validation.suites import _FLOAT_TOL, MAX_KPI_NO

NORM_FUNCTION = "dxplan_norm"

_OF_LOADS = "load_id IN (SELECT unnest($ids))"
_LOAD_ORDER = "list_position($ids, load_id)"

STAGING_COLUMNS = """
SELECT table_name || '.' || column_name || ' ' || data_type AS column_type
  FROM information_schema.columns
 WHERE table_schema = 'staging'
 ORDER BY table_name, ordinal_position
"""


def _rows_list(values: str) -> str:
    """Sorted distinct whole numbers joined with ',' (NULL when there are none)."""
    return f"nullif(array_to_string(list_sort(list_distinct(list({values}))), ','), '')"


def _variants(values: str) -> str:
    """Sorted distinct non-empty values as a list (NULLs dropped)."""
    return f"list_sort(list_distinct(list({values})))"


def _conflict(field: str, of: str = "") -> str:
    """'field: a / b' when the variants list ``v_<field>`` has more than one value."""
    return (
        f"CASE WHEN len({of}v_{field}) > 1 THEN '{field}: ' || "
        f"array_to_string({of}v_{field}, ' / ') END"
    )


#: the report's evaluation against actual vs target, on the outer row's columns
#: direction, target, comparator, actual, evaluation -> (consistent, why).
#: 達成 must mean the target was met; met is actual >= target (increase/maintain) or
#: actual <= target (decrease), a comparator overriding the direction; approximate
#: targets and missing numbers are not judged (consistent NULL).
JUDGE_EVALUATION = f"""
SELECT consistent,
       CASE WHEN NOT consistent THEN format(
           'evaluation {{}} but actual {{:g}} {{}} target {{:g}} (met means actual {{}} target; '
           || 'direction {{}}, comparator {{}})',
           evaluation, actual, CASE WHEN met THEN 'meets' ELSE 'misses' END, target, sign,
           coalesce(direction, 'None'), coalesce(comparator, 'None')) END AS why
  FROM (
    SELECT CASE WHEN target IS NULL OR actual IS NULL OR evaluation IS NULL
                  OR coalesce(comparator = 'approximately', false) THEN NULL
                ELSE (evaluation = '達成') = met END AS consistent,
           met, sign
      FROM (
        SELECT CASE WHEN comparator = 'less_than' THEN actual < target
                    WHEN comparator = 'more_than' THEN actual > target
                    WHEN coalesce(comparator = 'at_most'
                                  OR (comparator IS NULL AND direction = 'decrease'), false)
                         THEN actual <= target + {_FLOAT_TOL!r} * greatest(1.0, abs(target))
                    ELSE actual >= target - {_FLOAT_TOL!r} * greatest(1.0, abs(target)) END
                    AS met,
               CASE WHEN comparator = 'less_than' THEN '<'
                    WHEN comparator = 'more_than' THEN '>'
                    WHEN coalesce(comparator = 'at_most'
                                  OR (comparator IS NULL AND direction = 'decrease'), false)
                         THEN '<='
                    ELSE '>=' END AS sign
      )
  )
"""

LOADS = """
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
  -- before this one (see dxplan.load).
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
"""

KPIS = f"""
SELECT * FROM staging.kpis WHERE {_OF_LOADS} ORDER BY {_LOAD_ORDER}, kpi_no, source_row_no, rowid
"""

REPORT_ROWS_PLAIN = f"""
SELECT * FROM staging.report_rows WHERE {_OF_LOADS} ORDER BY {_LOAD_ORDER}, source_row_no
"""

#: + project_no_rows: the load's non-再掲 rows with this row's project number
REPORT_ROWS = f"""
SELECT *,
       CASE WHEN is_relisted = false AND project_no IS NOT NULL THEN
            count(*) FILTER (WHERE is_relisted = false)
                OVER (PARTITION BY load_id, project_no) END AS project_no_rows
  FROM staging.report_rows
 WHERE {_OF_LOADS}
 ORDER BY {_LOAD_ORDER}, source_row_no
"""

KPI_TARGETS_PLAIN = f"""
SELECT * FROM staging.kpi_targets WHERE {_OF_LOADS}
 ORDER BY {_LOAD_ORDER}, kpi_no, fiscal_year, rowid
"""

#: + unit of the KPI (its first definition), kpi_defined, years_from_report,
#: same_year_values and key_rows (targets of the same KPI and year)
KPI_TARGETS = f"""
WITH units AS (
    SELECT load_id, kpi_no, first(unit ORDER BY source_row_no, rowid) AS unit
      FROM staging.kpis WHERE {_OF_LOADS} GROUP BY load_id, kpi_no
)
SELECT t.*,
       u.unit,
       u.kpi_no IS NOT NULL AS kpi_defined,
       t.fiscal_year - t.report_fiscal_year AS years_from_report,
       count(DISTINCT t.target_value)
           OVER (PARTITION BY t.load_id, t.kpi_no, t.fiscal_year) AS same_year_values,
       count(*) OVER (PARTITION BY t.load_id, t.kpi_no, t.fiscal_year) AS key_rows
  FROM staging.kpi_targets t
  LEFT JOIN units u ON u.load_id = t.load_id AND u.kpi_no = t.kpi_no
 WHERE t.{_OF_LOADS}
 ORDER BY list_position($ids, t.load_id), t.kpi_no, t.fiscal_year, t.rowid
"""

#: one row per project number of the numbered (non-再掲) rows
CROSS_PROJECTS = f"""
SELECT load_id, project_no, source_rows, n_rows,
       greatest(len(v_project_name), len(v_department), len(v_division))
           AS attribute_variants,
       nullif(concat_ws('; ', {_conflict("project_name")}, {_conflict("department")},
                        {_conflict("division")}), '') AS conflicting_fields
  FROM (
    SELECT load_id, project_no,
           {_rows_list("source_row_no")} AS source_rows,
           count(*) AS n_rows,
           {_variants(f"{NORM_FUNCTION}(project_name)")} AS v_project_name,
           {_variants(f"{NORM_FUNCTION}(department)")} AS v_department,
           {_variants(f"{NORM_FUNCTION}(division)")} AS v_division
      FROM staging.report_rows
     WHERE {_OF_LOADS} AND is_relisted = false AND project_no IS NOT NULL
     GROUP BY load_id, project_no
  )
 ORDER BY {_LOAD_ORDER}, project_no
"""

#: one row per table row, its 再掲 / KPI references checked against the same load
CROSS_ROW_REFS = f"""
WITH own AS (
    SELECT DISTINCT load_id, project_no FROM staging.report_rows
     WHERE {_OF_LOADS} AND is_relisted = false AND project_no IS NOT NULL
), defs AS (
    SELECT load_id, kpi_no,
           list_sort(list_distinct(list(source_row_no))) AS def_rows,
           first(evaluation ORDER BY source_row_no, rowid) FILTER (WHERE evaluation IS NOT NULL)
               AS kpi_evaluation
      FROM staging.kpis WHERE {_OF_LOADS} GROUP BY load_id, kpi_no
), checked AS (
    SELECT r.load_id, r.source_row_no, r.project_no, r.kpi_no, r.evaluation,
           d.def_rows, d.kpi_evaluation,
           CASE WHEN r.is_relisted = true AND r.project_no IS NOT NULL
                THEN o.project_no IS NOT NULL END AS relisted_target_found,
           CASE WHEN r.kpi_no IS NOT NULL THEN d.kpi_no IS NOT NULL END AS kpi_found,
           CASE WHEN d.kpi_no IS NOT NULL AND r.kpi_is_relisted IS DISTINCT FROM true
                THEN coalesce(list_contains(d.def_rows, r.source_row_no), false)
                END AS kpi_defined_here,
           CASE WHEN r.kpi_no IS NOT NULL AND r.evaluation IS NOT NULL
                 AND d.kpi_evaluation IS NOT NULL
                THEN r.evaluation = d.kpi_evaluation END AS evaluation_matches_kpi
      FROM staging.report_rows r
      LEFT JOIN own o ON o.load_id = r.load_id AND o.project_no = r.project_no
      LEFT JOIN defs d ON d.load_id = r.load_id AND d.kpi_no = r.kpi_no
     WHERE r.{_OF_LOADS}
)
SELECT load_id, source_row_no, project_no, kpi_no, relisted_target_found, kpi_found,
       kpi_defined_here, evaluation_matches_kpi,
       nullif(concat_ws('; ',
           CASE WHEN NOT relisted_target_found THEN '再掲 of project ' || project_no
                || ', which has no numbered row in this report' END,
           CASE WHEN NOT kpi_found THEN 'KPI ' || kpi_no || ' is not defined in staging.kpis'
                END,
           CASE WHEN NOT kpi_defined_here THEN 'KPI ' || kpi_no
                || ' is this row''s own KPI but is defined on row(s) '
                || coalesce(nullif(array_to_string(def_rows, ','), ''), 'no row') END,
           CASE WHEN NOT evaluation_matches_kpi THEN 'row evaluation ' || evaluation
                || ' vs KPI ' || kpi_no || ' evaluation ' || kpi_evaluation END
       ), '') AS detail
  FROM checked
 ORDER BY {_LOAD_ORDER}, source_row_no
"""

#: one row per KPI number 1..N (N: the largest number in 1..MAX_KPI_NO defined or
#: referenced in the load), with its definitions, references and evaluation checked
CROSS_KPIS = f"""
WITH req AS (
    SELECT r.load_id, l.report_fiscal_year
      FROM (SELECT unnest($ids) AS load_id) r
      LEFT JOIN staging.loads l ON l.load_id = r.load_id
), refs AS (
    SELECT load_id, kpi_no, {_rows_list("source_row_no")} AS referenced_rows
      FROM staging.report_rows WHERE {_OF_LOADS} AND kpi_no IS NOT NULL
     GROUP BY load_id, kpi_no
), defs AS (
    SELECT load_id, kpi_no, count(*) AS defined_count,
           {_rows_list("source_row_no")} AS source_rows,
           {_variants(f"{NORM_FUNCTION}(indicator_name)")} AS v_indicator_name,
           {_variants(f"{NORM_FUNCTION}(unit)")} AS v_unit,
           {_variants("direction")} AS v_direction,
           list_sort(list_distinct(list(CAST(round(baseline_value, 9) AS VARCHAR))
                                   FILTER (WHERE NOT isnan(baseline_value))))
               AS v_baseline_value,
           first(direction) AS direction, first(actual_value) AS actual,
           first(evaluation) AS evaluation
      FROM staging.kpis WHERE {_OF_LOADS} GROUP BY load_id, kpi_no
), numbers AS (
    SELECT load_id, unnest(range(1, max(kpi_no) + 1)) AS kpi_no
      FROM (SELECT load_id, kpi_no FROM defs UNION ALL SELECT load_id, kpi_no FROM refs)
     WHERE kpi_no BETWEEN 1 AND {MAX_KPI_NO}
     GROUP BY load_id
), year_targets AS (
    SELECT t.load_id, t.kpi_no,
           first(t.target_value ORDER BY t.rowid) AS target,
           first(t.target_comparator ORDER BY t.rowid) AS comparator
      FROM staging.kpi_targets t JOIN req USING (load_id)
     WHERE t.fiscal_year = req.report_fiscal_year AND t.target_value IS NOT NULL
     GROUP BY t.load_id, t.kpi_no
), numbered AS (
    SELECT n.load_id, n.kpi_no, req.report_fiscal_year,
           coalesce(d.defined_count, 0) AS defined_count, d.source_rows,
           coalesce(greatest(len(d.v_indicator_name), len(d.v_unit), len(d.v_direction),
                             len(d.v_baseline_value)), 0) AS attribute_variants,
           r.referenced_rows,
           d.v_indicator_name, d.v_unit, d.v_direction, d.v_baseline_value,
           CASE WHEN d.defined_count = 1 THEN y.kpi_no IS NOT NULL END
               AS has_report_year_target,
           CASE WHEN d.defined_count = 1 THEN d.direction END AS direction,
           y.target, y.comparator, d.actual, d.evaluation
      FROM numbers n
      JOIN req USING (load_id)
      LEFT JOIN defs d USING (load_id, kpi_no)
      LEFT JOIN refs r USING (load_id, kpi_no)
      LEFT JOIN year_targets y USING (load_id, kpi_no)
)
SELECT n.load_id, n.kpi_no, n.source_rows, n.defined_count, n.attribute_variants,
       n.referenced_rows, n.has_report_year_target,
       CASE WHEN n.has_report_year_target THEN j.consistent END AS evaluation_consistent,
       nullif(concat_ws('; ',
           CASE WHEN n.defined_count = 0 THEN 'KPI ' || n.kpi_no || ' is not defined'
                || coalesce(' (referenced by rows ' || n.referenced_rows || ')', '') END,
           {_conflict("indicator_name", "n.")},
           {_conflict("unit", "n.")},
           {_conflict("direction", "n.")},
           {_conflict("baseline_value", "n.")},
           CASE WHEN NOT n.has_report_year_target THEN 'no target for the report year '
                || coalesce(CAST(n.report_fiscal_year AS VARCHAR), 'None') END,
           CASE WHEN n.has_report_year_target THEN j.why END
       ), '') AS detail
  FROM numbered n,
  LATERAL ({JUDGE_EVALUATION}) AS j
 ORDER BY list_position($ids, n.load_id), n.kpi_no
"""


@dataclass(frozen=True)
class FrameQuery:
    """The query of one frame, the staged columns it needs (``table.column``), and what
    to read instead when one is missing (None: leave the frame out)."""

    frame: str
    text: str
    needs: frozenset[str]
    fallback: str | None = None


def _needs(table: str, *columns: str) -> set[str]:
    return {f"{table}.{c}" for c in columns}


_ROW_COLUMNS = _needs(
    "report_rows", "load_id", "source_row_no", "is_relisted", "project_no", "kpi_no",
    "kpi_is_relisted", "evaluation", "project_name", "department", "division",
)
_KPI_COLUMNS = _needs(
    "kpis", "load_id", "kpi_no", "source_row_no", "indicator_name", "unit", "direction",
    "baseline_value", "actual_value", "evaluation",
)
_TARGET_COLUMNS = _needs(
    "kpi_targets", "load_id", "kpi_no", "fiscal_year", "report_fiscal_year", "target_value",
    "target_comparator",
)

QUERIES = (
    FrameQuery("loads", LOADS, frozenset()),
    FrameQuery(
        "report_rows",
        REPORT_ROWS,
        frozenset(_needs("report_rows", "load_id", "is_relisted", "project_no")),
        REPORT_ROWS_PLAIN,
    ),
    FrameQuery("kpis", KPIS, frozenset()),
    FrameQuery(
        "kpi_targets",
        KPI_TARGETS,
        frozenset(_TARGET_COLUMNS | _needs("kpis", "load_id", "kpi_no", "unit",
                                           "source_row_no")),
        KPI_TARGETS_PLAIN,
    ),
    FrameQuery("cross_projects", CROSS_PROJECTS, frozenset(_ROW_COLUMNS)),
    FrameQuery(
        "cross_row_refs",
        CROSS_ROW_REFS,
        frozenset(_ROW_COLUMNS | _needs("kpis", "load_id", "kpi_no", "source_row_no",
                                        "evaluation")),
    ),
    FrameQuery(
        "cross_kpis",
        CROSS_KPIS,
        frozenset(_ROW_COLUMNS | _KPI_COLUMNS | _TARGET_COLUMNS
                  | _needs("loads", "load_id", "report_fiscal_year")),
    ),
)
