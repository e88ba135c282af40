-- 取組状況 (initiative status): initiative × report, from the project's own row.
select
    {{ dxplan_key(['project_no', 'report_fiscal_year']) }} as initiative_status_key,
    initiative_key,
    project_no,
    report_fiscal_year,
    source_row_no,
    has_own_row,
    row_count as table_row_count,
    target_text,
    status_text,
    evaluation_text,
    evaluation,
    {{ evaluation_code('evaluation') }} as evaluation_code
from {{ ref('int_initiative_reports') }}
order by report_fiscal_year, project_no
