-- The KPI each report row shows, with KPI 再掲 resolved to the KPI it re-lists:
--   1. the KPI number the parser read on the row ('printed');
--   2. for a row whose KPI column says 再掲 without a number: the single KPI that
--      the row's project defines in the same report ('project_kpi').
-- Rows that show no KPI are left out; a KPI 再掲 that cannot be resolved stays with
-- kpi_no NULL ('unresolved') and is reported by the warning test
-- assert_report_rows_resolved.
with rows as (
    select * from {{ ref('int_report_rows') }}
),

project_single_kpi as (
    select report_fiscal_year, project_no, min(kpi_no) as kpi_no
    from {{ ref('int_kpis') }}
    where project_no is not null
    group by report_fiscal_year, project_no
    having count(*) = 1
)

select
    r.report_fiscal_year,
    r.source_row_no,
    r.project_no,
    r.initiative_key,
    r.is_relisted,
    r.kpi_is_relisted,
    coalesce(r.kpi_no, p.kpi_no) as kpi_no,
    case when coalesce(r.kpi_no, p.kpi_no) is not null
         then {{ dxplan_key(['coalesce(r.kpi_no, p.kpi_no)']) }} end as kpi_key,
    {{ resolution('r.kpi_no', 'p.kpi_no', 'project_kpi') }} as kpi_resolution
from rows as r
left join project_single_kpi as p
    on r.kpi_no is null
    and r.kpi_is_relisted
    and p.report_fiscal_year = r.report_fiscal_year
    and p.project_no = r.project_no
where r.kpi_no is not null or r.kpi_is_relisted
