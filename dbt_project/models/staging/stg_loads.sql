-- 取込 (loads): every published load, renamed and typed only.
select
    cast(load_id as varchar)               as load_id,
    cast(source_path as varchar)           as source_path,
    cast(source_name as varchar)           as source_name,
    cast(sha256 as varchar)                as sha256,
    cast(file_format as varchar)           as file_format,
    cast(encoding as varchar)              as encoding,
    cast(report_fiscal_year as integer)    as report_fiscal_year,
    cast(as_of_date as date)               as as_of_date,
    cast(title as varchar)                 as title,
    cast(row_count as integer)             as row_count,
    cast(kpi_count as integer)             as kpi_count,
    cast(loaded_at as timestamp)           as loaded_at,
    cast(is_current as boolean)            as is_current,
    cast(superseded_by as varchar)         as superseded_by,
    cast(superseded_at as timestamp)       as superseded_at
from {{ source('staging', 'loads') }}
