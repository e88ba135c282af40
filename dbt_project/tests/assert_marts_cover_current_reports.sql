-- Nothing of a current report is lost on the way to the marts: one dim_report row
-- per current load, one mart_kpi_progress row per staged KPI, one
-- fct_initiative_status row per listed project, and every resolved table row in
-- bridge_initiative_plan_item.
with expected as (
    select 'dim_report' as mart, count(*) as n from {{ ref('int_current_loads') }}
    union all
    select 'mart_kpi_progress', count(*) from {{ ref('int_kpis') }}
    union all
    select 'fct_initiative_status', count(*)
    from (select distinct report_fiscal_year, project_no
          from {{ ref('int_report_rows') }} where project_no is not null)
    union all
    select 'bridge_initiative_plan_item', count(*)
    from {{ ref('int_report_rows') }} where initiative_key is not null
),

actual as (
    select 'dim_report' as mart, count(*) as n from {{ ref('dim_report') }}
    union all
    select 'mart_kpi_progress', count(*) from {{ ref('mart_kpi_progress') }}
    union all
    select 'fct_initiative_status', count(*) from {{ ref('fct_initiative_status') }}
    union all
    select 'bridge_initiative_plan_item', count(*) from {{ ref('bridge_initiative_plan_item') }}
)

select e.mart, e.n as expected_rows, a.n as actual_rows
from expected as e
inner join actual as a on a.mart = e.mart
where e.n <> a.n
