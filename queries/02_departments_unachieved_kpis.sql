-- 未達成のKPIを多く抱える部局 (departments carrying the most KPIs not achieved)
--
-- Reads marts.mart_department_scorecard, the dashboard's scorecard: a KPI counts for the
-- department(s) of the project that defines it (再掲 rows do not count again); a project
-- of two departments (担当部 "総務部|企画調整部") counts for both. Departments with KPIs only.
-- Report year: the latest loaded, or set one first:  SET VARIABLE report_year = 2023;
WITH params AS (
    SELECT coalesce(getvariable('report_year'), max(report_fiscal_year)) AS report_year
    FROM marts.mart_kpi_progress
)
SELECT
    s.department,
    s.kpi_count AS kpis,
    s.not_achieved_count AS not_achieved,
    s.partially_achieved_count AS partially_achieved,
    s.behind_count AS unachieved,
    s.achieved_count AS achieved,
    s.not_evaluated_count AS not_evaluated,
    round(s.mean_achievement_rate * 100, 1) AS mean_achievement_pct,
    nullif(array_to_string(s.behind_kpi_nos, ', '), '') AS unachieved_kpi_nos
FROM marts.mart_department_scorecard s
JOIN params ON s.report_fiscal_year = params.report_year
WHERE s.kpi_count > 0
ORDER BY s.scorecard_rank;
