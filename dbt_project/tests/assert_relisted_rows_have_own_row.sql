-- Warning: a 再掲 (re-listed) row should point to a project that the same report
-- also lists on its own numbered row.
{{ config(severity='warn') }}

select b.report_fiscal_year, b.source_row_no, b.project_no
from {{ ref('bridge_initiative_plan_item') }} as b
where b.is_relisted
  and not exists (
      select 1
      from {{ ref('bridge_initiative_plan_item') }} as own
      where own.report_fiscal_year = b.report_fiscal_year
        and own.initiative_key = b.initiative_key
        and not own.is_relisted
  )
