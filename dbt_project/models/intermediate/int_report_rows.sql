-- Table rows of the current loads with each 再掲 (re-listed) row resolved to its project.
--   1. the project number the parser read (for a 再掲 row: the project re-listed);
--   2. otherwise the project whose own (non-再掲) row in the same report has the same
--      name (whitespace and a trailing ※再掲… note ignored), when exactly one does.
-- Rows that stay unresolved keep initiative_key NULL and are reported by the
-- warning test assert_report_rows_resolved; they never become initiatives.
with named as (
    select
        *,
        nullif(
            regexp_replace(
                regexp_replace(coalesce(project_name, ''), '※\s*再掲.*$', ''),
                '\s+', '', 'g'),
            '') as name_match_key
    from {{ of_current_loads(ref('stg_report_rows')) }}
),

name_index as (
    -- names that identify exactly one numbered project within a report
    select report_fiscal_year, name_match_key, min(project_no) as project_no
    from named
    where not is_relisted and project_no is not null and name_match_key is not null
    group by report_fiscal_year, name_match_key
    having count(distinct project_no) = 1
),

resolved as (
    select
        r.*,
        coalesce(r.project_no, n.project_no) as resolved_project_no,
        {{ resolution('r.project_no', 'n.project_no', 'name_match') }} as project_resolution
    from named as r
    left join name_index as n
        on r.project_no is null
        and n.report_fiscal_year = r.report_fiscal_year
        and n.name_match_key = r.name_match_key
)

-- the row passed on: its keys and the resolution first, then every other column of the
-- staged row as it is (a new record field reaches the marts without a line here)
select
    load_id,
    report_fiscal_year,
    source_row_no,
    page_no,
    line_start,
    line_end,
    source_cell,
    is_relisted,
    project_no as printed_project_no,
    resolved_project_no as project_no,
    project_resolution,
    case when resolved_project_no is not null
         then {{ dxplan_key(['resolved_project_no']) }} end as initiative_key,
    {{ dxplan_key(['pillar', 'area_no', 'item_no']) }} as plan_item_key,
    * exclude (
        load_id, report_fiscal_year, source_row_no, page_no, line_start, line_end,
        source_cell, is_relisted, project_no, resolved_project_no, project_resolution,
        name_match_key, repairs_json
    )
from resolved
