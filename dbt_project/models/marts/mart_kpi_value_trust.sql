-- 補正されたKPIの値 (KPI values the parser repaired or inferred): one row per repair
-- of a KPI's fields in the current load of each report (int_repairs, as in marts.fct_repairs), with the
-- value it concerns and its source: file, page and lines of the table row. Repairs of
-- a row's evaluation mark or KPI number count for the KPI of that row. `value_role`
-- names the dashboard cell: a `kpi.target_YYYY` repair is that year's target; a repair
-- among the KPI's numbers (`kpi.values`) is matched to the printed text it produced
-- (actual, baseline, then a target), else `other`.
with kpi_repairs as (
    select
        *,
        coalesce(
            kpi_no,
            case when field_name in ('evaluation', 'kpi_no') then row_kpi_no end
        ) as value_kpi_no
    from {{ ref('int_repairs') }}
),

progress as (
    select kpi_no, report_fiscal_year, baseline_text, actual_text
    from {{ ref('mart_kpi_progress') }}
),

target_matches as (
    select r.repair_key, min(y.fiscal_year) as fiscal_year
    from kpi_repairs as r
    inner join {{ ref('fct_kpi_yearly') }} as y
        on y.kpi_no = r.value_kpi_no
        and y.report_fiscal_year = r.report_fiscal_year
        and y.target_text = r.repaired_value
    where r.field_name = 'kpi.values'
    group by r.repair_key
),

roles as (
    select
        r.*,
        case
            when r.field_name like 'kpi.target\_%' escape '\' then 'target'
            when r.field_name = 'kpi.indicator_name' then 'indicator_name'
            when r.field_name = 'evaluation' then 'evaluation'
            when r.field_name = 'kpi_no' then 'kpi_no'
            when r.field_name = 'kpi.values' and r.repaired_value = p.actual_text then 'actual'
            when r.field_name = 'kpi.values' and r.repaired_value = p.baseline_text then 'baseline'
            when r.field_name = 'kpi.values' and t.fiscal_year is not null then 'target'
            else 'other'
        end as value_role,
        coalesce(
            try_cast(regexp_extract(r.field_name, '^kpi\.target_(\d{4})$', 1) as integer),
            t.fiscal_year
        ) as target_fiscal_year
    from kpi_repairs as r
    left join progress as p
        on p.kpi_no = r.value_kpi_no
        and p.report_fiscal_year = r.report_fiscal_year
    left join target_matches as t
        on t.repair_key = r.repair_key
    where r.value_kpi_no is not null
)

select
    r.repair_key,
    r.report_fiscal_year,
    r.value_kpi_no as kpi_no,
    {{ dxplan_key(['r.value_kpi_no']) }} as kpi_key,
    r.value_role,
    case when r.value_role = 'target' then r.target_fiscal_year end as target_fiscal_year,
    r.field_name,
    r.raw_text,
    r.repaired_value,
    r.rule_name,
    case
        when r.repaired_value is null then 'dropped'
        when list_contains({{ var('dxplan_inferred_repair_rules') }}, r.rule_name) then 'inferred'
        else 'repaired'
    end as repair_kind,
    r.note,
    r.source_row_no,
    r.source_name,
    r.source_path,
    r.file_format,
    r.page_no,
    r.line_start,
    r.line_end,
    r.source_cell
from roles as r
order by r.report_fiscal_year, r.value_kpi_no, r.source_row_no, r.field_name, r.repair_seq
