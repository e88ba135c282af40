-- 各KPIの基準値から最終目標(R7)への進捗 (progress of each KPI from baseline to the plan's final target)
--
-- progress_to_final = (actual - baseline) / (final target - baseline): 0 % = still at the
-- baseline, 100 % = final target reached, negative = moved away from it. NULL where the
-- baseline or a number is missing. Report year: the latest loaded, or
--   SET VARIABLE report_year = 2023;
WITH params AS (
    SELECT coalesce(getvariable('report_year'), max(report_fiscal_year)) AS report_year
    FROM marts.mart_kpi_progress
)
SELECT
    p.kpi_no,
    p.indicator_name,
    p.unit,
    p.direction,
    p.baseline_value,
    p.actual_value,
    p.report_fiscal_year AS actual_year,
    p.final_target_value,
    p.final_fiscal_year,
    round(p.progress_to_final * 100, 1) AS progress_to_final_pct,
    -- what is left to reach the final target, in the KPI's unit (positive = still to go)
    round(CASE WHEN p.direction = 'decrease' THEN p.actual_value - p.final_target_value
               ELSE p.final_target_value - p.actual_value END, 9) AS remaining_to_final,
    p.final_fiscal_year - p.report_fiscal_year AS years_left,
    p.evaluation
FROM marts.mart_kpi_progress p
JOIN params ON p.report_fiscal_year = params.report_year
ORDER BY p.progress_to_final NULLS LAST, p.kpi_no;
