-- KPIs of the current loads, with the project that defines each one: the parser's
-- project_no, else the project of the row the KPI is defined on.
with kpis as (
    select * from {{ of_current_loads(ref('stg_kpis')) }}
),

rows as (
    select report_fiscal_year, source_row_no, project_no
    from {{ ref('int_report_rows') }}
)

select
    k.load_id,
    k.report_fiscal_year,
    k.kpi_no,
    {{ dxplan_key(['k.kpi_no']) }} as kpi_key,
    k.source_row_no,
    coalesce(k.project_no, r.project_no) as project_no,
    k.indicator_name,
    k.unit,
    k.direction,
    k.baseline_text,
    k.baseline_value,
    k.baseline_comparator,
    k.actual_text,
    k.actual_value,
    k.actual_comparator,
    k.actual_as_of,
    k.evaluation_text,
    k.evaluation,
    k.repair_count
from kpis as k
left join rows as r using (report_fiscal_year, source_row_no)
