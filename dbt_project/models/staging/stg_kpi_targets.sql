-- 目標値 (KPI targets): renamed and typed only.
select
    cast(load_id as varchar)               as load_id,
    cast(report_fiscal_year as integer)    as report_fiscal_year,
    cast(kpi_no as integer)                as kpi_no,
    cast(fiscal_year as integer)           as fiscal_year,
    cast(target_text as varchar)           as target_text,
    cast(target_value as double)           as target_value,
    cast(target_comparator as varchar)     as target_comparator
from {{ source('staging', 'kpi_targets') }}
