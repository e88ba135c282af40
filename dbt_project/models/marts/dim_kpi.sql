-- KPI (業績評価指標): one row per KPI number; the latest report that defines the
-- KPI wins. A KPI number only ever shown (never defined) gets a row with
-- is_defined = false so that every link resolves.
with defined as (
    select
        *,
        {{ report_history('kpi_no') }}
    from {{ ref('int_kpis') }}
),

shown_only as (
    select
        kpi_no,
        min(report_fiscal_year) as first_report_fiscal_year,
        max(report_fiscal_year) as last_report_fiscal_year
    from {{ ref('int_initiative_kpis') }}
    where kpi_no not in (select kpi_no from defined)
    group by kpi_no
),

latest as (
    select max(report_fiscal_year) as report_fiscal_year
    from {{ ref('int_current_loads') }}
),

unioned as (
    select
        kpi_key,
        kpi_no,
        indicator_name,
        unit,
        direction,
        baseline_value,
        baseline_text,
        baseline_comparator,
        project_no as defining_project_no,
        case when project_no is not null
             then {{ dxplan_key(['project_no']) }} end as defining_initiative_key,
        true as is_defined,
        first_report_fiscal_year,
        report_fiscal_year as last_report_fiscal_year,
        report_count
    from defined
    where recency = 1

    union all

    select
        {{ dxplan_key(['kpi_no']) }} as kpi_key,
        kpi_no,
        null as indicator_name,
        null as unit,
        null as direction,
        null as baseline_value,
        null as baseline_text,
        null as baseline_comparator,
        null as defining_project_no,
        null as defining_initiative_key,
        false as is_defined,
        first_report_fiscal_year,
        last_report_fiscal_year,
        0 as report_count
    from shown_only
)

select
    u.*,
    u.last_report_fiscal_year = l.report_fiscal_year as is_in_latest_report
from unioned as u
cross join latest as l
order by u.kpi_no
