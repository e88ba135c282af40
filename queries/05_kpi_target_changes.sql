-- 報告書の間でのKPIの目標値の変更 (how a KPI's target for a year changed between reports)
--
-- Each yearly report reprints the targets of every plan year (R4..R7). A line here means
-- that a later report printed a different target (number or text) for the same KPI and
-- fiscal year than the report before it. Empty while only one report is loaded.
WITH printed AS (
    SELECT
        kpi_no, fiscal_year, report_fiscal_year, target_value, target_text,
        lag(report_fiscal_year) OVER w AS previous_report,
        lag(target_value) OVER w AS previous_target_value,
        lag(target_text) OVER w AS previous_target_text
    FROM marts.fct_kpi_yearly
    WINDOW w AS (PARTITION BY kpi_no, fiscal_year ORDER BY report_fiscal_year)
)
SELECT
    p.kpi_no,
    k.indicator_name,
    k.unit,
    p.fiscal_year,
    p.previous_report,
    p.previous_target_value,
    p.report_fiscal_year AS changed_in_report,
    p.target_value,
    round(p.target_value - p.previous_target_value, 9) AS change,
    p.previous_target_text,
    p.target_text
FROM printed p
LEFT JOIN marts.dim_kpi k USING (kpi_no)
WHERE p.previous_report IS NOT NULL
  AND (p.target_value IS DISTINCT FROM p.previous_target_value
       OR p.target_text IS DISTINCT FROM p.previous_target_text)
ORDER BY p.kpi_no, p.fiscal_year, p.report_fiscal_year;
