-- One row per initiative (事業番号) × report: the project's own (non-再掲) row of
-- that report, or its first row if the report only re-lists it.
with ranked as (
    select
        *,
        row_number() over (
            partition by report_fiscal_year, project_no
            order by is_relisted, source_row_no
        ) as row_rank,
        count(*) over (partition by report_fiscal_year, project_no) as row_count,
        bool_or(not is_relisted) over (partition by report_fiscal_year, project_no) as has_own_row
    from {{ ref('int_report_rows') }}
    where project_no is not null
)

-- the chosen row passed on: keys first, then every other column of int_report_rows
select
    initiative_key,
    project_no,
    report_fiscal_year,
    source_row_no,
    has_own_row,
    row_count,
    * exclude (initiative_key, project_no, report_fiscal_year, source_row_no, has_own_row,
               row_count, row_rank)
from ranked
where row_rank = 1
