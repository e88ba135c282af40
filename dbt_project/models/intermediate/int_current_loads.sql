-- The live load of each report year (is_current), with the report's place in the
-- series. Older versions of a re-issued year are counted, never used for facts.
with loads as (
    select * from {{ ref('stg_loads') }}
),

superseded as (
    select report_fiscal_year, count(*) as superseded_load_count
    from loads
    where not is_current
    group by report_fiscal_year
)

select
    l.load_id,
    l.report_fiscal_year,
    l.source_path,
    l.source_name,
    l.sha256,
    l.file_format,
    l.encoding,
    l.as_of_date,
    l.title,
    l.row_count,
    l.kpi_count,
    l.loaded_at,
    coalesce(s.superseded_load_count, 0) as superseded_load_count,
    l.report_fiscal_year = max(l.report_fiscal_year) over () as is_latest_report
from loads as l
left join superseded as s
    on s.report_fiscal_year = l.report_fiscal_year
where l.is_current
