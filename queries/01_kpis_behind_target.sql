-- 今年度、目標に届いていないKPI (KPIs behind their target in a report year)
--
-- A KPI is behind when the report evaluates it 未達成 or 一部達成, or, where the report
-- gives no evaluation, when its achievement rate is below 100 %. Weakest first.
-- Report year: the latest loaded, or set one first:  SET VARIABLE report_year = 2023;
WITH params AS (
    SELECT coalesce(getvariable('report_year'), max(report_fiscal_year)) AS report_year
    FROM marts.mart_kpi_progress
),
owners AS (  -- the departments of the project that defines the KPI (not its 再掲 rows)
    SELECT b.report_fiscal_year, k.kpi_no,
           string_agg(DISTINCT i.department, '|' ORDER BY i.department) AS departments,
           string_agg(DISTINCT CAST(i.project_no AS VARCHAR), ', ' ORDER BY CAST(i.project_no AS VARCHAR))
               AS project_nos
    FROM marts.bridge_initiative_kpi b
    JOIN marts.dim_kpi k USING (kpi_key)
    JOIN marts.dim_initiative i USING (initiative_key)
    WHERE NOT b.is_relisted
    GROUP BY ALL
)
SELECT
    p.kpi_no,
    p.indicator_name,
    p.unit,
    p.direction,
    p.target_value,
    p.actual_value,
    round(p.achievement_rate * 100, 1) AS achievement_pct,
    p.evaluation,
    -- how far from the target, in the KPI's unit (positive = still to go)
    round(CASE WHEN p.direction = 'decrease' THEN p.actual_value - p.target_value
               ELSE p.target_value - p.actual_value END, 9) AS gap_to_target,
    o.departments,
    o.project_nos
FROM marts.mart_kpi_progress p
JOIN params ON p.report_fiscal_year = params.report_year
LEFT JOIN owners o ON o.report_fiscal_year = p.report_fiscal_year AND o.kpi_no = p.kpi_no
WHERE p.evaluation_code IN ('not_achieved', 'partially_achieved')
   OR (p.evaluation_code IS NULL AND p.achievement_rate < 1)
ORDER BY p.achievement_rate NULLS LAST, p.kpi_no;
