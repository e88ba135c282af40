-- Warning: table rows whose project (再掲 rows included) or whose KPI 再掲 could not
-- be resolved. Such rows are left out of bridge_initiative_plan_item /
-- bridge_initiative_kpi; the parser should be taught to read them.
{{ config(severity='warn') }}

select report_fiscal_year, source_row_no, 'project' as what
from {{ ref('int_report_rows') }}
where initiative_key is null

union all

select report_fiscal_year, source_row_no, 'kpi' as what
from {{ ref('int_row_kpis') }}
where kpi_no is null
