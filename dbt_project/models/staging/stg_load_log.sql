-- 取込ログ (load log): renamed and typed only.
select
    cast(load_id as varchar)               as load_id,
    cast(run_id as varchar)                as run_id,
    cast(source_path as varchar)           as source_path,
    cast(sha256 as varchar)                as sha256,
    cast(report_fiscal_year as integer)    as report_fiscal_year,
    cast(file_format as varchar)           as file_format,
    cast(status as varchar)                as status,
    cast(rows_in as integer)               as rows_in,
    cast(started_at as timestamp)          as started_at,
    cast(finished_at as timestamp)         as finished_at,
    cast(message as varchar)               as message
from {{ source('audit', 'load_log') }}
