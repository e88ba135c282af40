-- 報告書ごとの概要 (headline numbers of each loaded report)
--
-- Projects (own rows), 再掲 rows, KPIs and how the report evaluated them, per report year.
WITH rows_ AS (
    SELECT report_fiscal_year,
           count(DISTINCT initiative_key) FILTER (WHERE NOT is_relisted) AS projects,
           count(*) FILTER (WHERE is_relisted) AS relisted_rows,
           count(*) AS table_rows
    FROM marts.bridge_initiative_plan_item
    GROUP BY ALL
),
kpis AS (
    SELECT report_fiscal_year,
           count(*) AS kpis,
           count(*) FILTER (WHERE evaluation_code = 'achieved') AS achieved,
           count(*) FILTER (WHERE evaluation_code = 'partially_achieved') AS partially_achieved,
           count(*) FILTER (WHERE evaluation_code = 'not_achieved') AS not_achieved,
           count(*) FILTER (WHERE evaluation_code IS NULL) AS not_evaluated,
           round(median(achievement_rate) * 100, 1) AS median_achievement_pct
    FROM marts.mart_kpi_progress
    GROUP BY ALL
)
SELECT
    coalesce(r.report_fiscal_year, k.report_fiscal_year) AS report_fiscal_year,
    fy.wareki_label,
    r.projects, r.relisted_rows, r.table_rows,
    k.kpis, k.achieved, k.partially_achieved, k.not_achieved, k.not_evaluated,
    k.median_achievement_pct
FROM rows_ r
FULL JOIN kpis k USING (report_fiscal_year)
LEFT JOIN marts.dim_fiscal_year fy
  ON fy.fiscal_year = coalesce(r.report_fiscal_year, k.report_fiscal_year)
ORDER BY 1;
