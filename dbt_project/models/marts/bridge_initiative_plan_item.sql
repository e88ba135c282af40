-- 事業×計画項目 (initiative × plan item): one row per table row of one report. A 再掲
-- (re-listed) row is never a second initiative: it is one more row here, with
-- is_relisted = true, pointing to the project it re-lists.
select
    initiative_key,
    plan_item_key,
    report_fiscal_year,
    source_row_no,
    is_relisted,
    project_no,
    project_resolution,
    page_no,
    line_start,
    line_end,
    source_cell
from {{ ref('int_report_rows') }}
where initiative_key is not null
order by report_fiscal_year, source_row_no
