-- 補正 (parser repairs): renamed (raw -> raw_text, value -> repaired_value) and typed only.
select
    cast(load_id as varchar)               as load_id,
    cast(report_fiscal_year as integer)    as report_fiscal_year,
    cast(source_row_no as integer)         as source_row_no,
    cast(kpi_no as integer)                as kpi_no,
    cast(field as varchar)                 as field_name,
    cast(raw as varchar)                   as raw_text,
    cast(value as varchar)                 as repaired_value,
    cast(rule as varchar)                  as rule_name,
    cast(note as varchar)                  as note,
    cast(source_cell as varchar)           as source_cell
from {{ source('staging', 'repairs') }}
