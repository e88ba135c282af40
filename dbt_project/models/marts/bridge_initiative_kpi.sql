-- 事業×KPI (initiative × KPI × report). A KPI shared by several projects is one KPI
-- (one dim_kpi row) with one row here per project; is_relisted marks a project that
-- only re-lists the KPI (KPI 再掲) instead of defining or showing it itself.
select
    initiative_key,
    kpi_key,
    report_fiscal_year,
    project_no,
    kpi_no,
    is_defining,
    is_relisted
from {{ ref('int_initiative_kpis') }}
order by report_fiscal_year, kpi_no, project_no
