-- KPI (業績評価指標): renamed and typed only.
select
    cast(load_id as varchar)               as load_id,
    cast(report_fiscal_year as integer)    as report_fiscal_year,
    cast(kpi_no as integer)                as kpi_no,
    cast(source_row_no as integer)         as source_row_no,
    cast(project_no as integer)            as project_no,
    cast(indicator_name as varchar)        as indicator_name,
    cast(unit as varchar)                  as unit,
    cast(direction as varchar)             as direction,
    cast(baseline_text as varchar)         as baseline_text,
    cast(baseline_value as double)         as baseline_value,
    cast(baseline_comparator as varchar)   as baseline_comparator,
    cast(actual_text as varchar)           as actual_text,
    cast(actual_value as double)           as actual_value,
    cast(actual_comparator as varchar)     as actual_comparator,
    cast(actual_as_of as date)             as actual_as_of,
    cast(evaluation_text as varchar)       as evaluation_text,
    cast(evaluation as varchar)            as evaluation,
    cast(repair_count as integer)          as repair_count,
    cast(repairs_json as varchar)          as repairs_json
from {{ source('staging', 'kpis') }}
