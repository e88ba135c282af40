-- 年次報告 (yearly reports): one row per report year, describing its current load.
with loads as (
    select * from {{ ref('int_current_loads') }}
),

published as (
    select load_id, min(started_at) as first_published_at, min(run_id) as published_run_id
    from {{ ref('stg_load_log') }}
    where status = 'published'
    group by load_id
)

select
    l.report_fiscal_year,
    {{ wareki_label('l.report_fiscal_year') }} as wareki_label,
    l.as_of_date,
    l.title,
    l.file_format,
    l.encoding,
    l.source_name,
    l.source_path,
    l.sha256,
    l.row_count,
    l.kpi_count,
    l.load_id,
    l.loaded_at,
    p.first_published_at,
    p.published_run_id,
    l.superseded_load_count,
    l.is_latest_report
from loads as l
left join published as p
    on p.load_id = l.load_id
order by l.report_fiscal_year
