-- 未達成のKPIを多く抱える部局 (departments carrying the most KPIs not achieved)
--
-- A KPI counts for the department(s) of the project that defines it (再掲 rows do not
-- count again); a project of two departments (担当部 "総務部|企画調整部") counts for both.
-- Report year: the latest loaded, or set one first:  SET VARIABLE report_year = 2023;
WITH params AS (
    SELECT coalesce(getvariable('report_year'), max(report_fiscal_year)) AS report_year
    FROM marts.mart_kpi_progress
),
kpi_departments AS (
    SELECT DISTINCT b.report_fiscal_year, k.kpi_no,
           trim(unnest(string_split(coalesce(i.department, '(担当不明)'), '|'))) AS department
    FROM marts.bridge_initiative_kpi b
    JOIN marts.dim_kpi k USING (kpi_key)
    JOIN marts.dim_initiative i USING (initiative_key)
    WHERE NOT b.is_relisted
)
SELECT
    d.department,
    count(*) AS kpis,
    count(*) FILTER (WHERE p.evaluation_code = 'not_achieved') AS not_achieved,
    count(*) FILTER (WHERE p.evaluation_code = 'partially_achieved') AS partially_achieved,
    count(*) FILTER (WHERE p.evaluation_code IN ('not_achieved', 'partially_achieved'))
        AS unachieved,
    count(*) FILTER (WHERE p.evaluation_code = 'achieved') AS achieved,
    count(*) FILTER (WHERE p.evaluation_code IS NULL) AS not_evaluated,
    round(avg(p.achievement_rate) * 100, 1) AS mean_achievement_pct,
    string_agg(CAST(p.kpi_no AS VARCHAR), ', ' ORDER BY p.kpi_no)
        FILTER (WHERE p.evaluation_code IN ('not_achieved', 'partially_achieved'))
        AS unachieved_kpi_nos
FROM kpi_departments d
JOIN params ON d.report_fiscal_year = params.report_year
JOIN marts.mart_kpi_progress p
  ON p.report_fiscal_year = d.report_fiscal_year AND p.kpi_no = d.kpi_no
GROUP BY d.department
ORDER BY unachieved DESC, not_achieved DESC, kpis DESC, d.department;
