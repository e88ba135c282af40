-- 補正記録 (parser repairs): every value the parser reconstructed, corrected or
-- guessed in the current report loads, with the row, project and KPI it belongs
-- to, so analysts can see which warehouse values are not exactly as printed.
with repairs as (
    select r.*
    from {{ ref('stg_repairs') }} as r
    inner join {{ ref('int_current_loads') }} as l
        on l.load_id = r.load_id
),

rows as (
    select report_fiscal_year, source_row_no, project_no, initiative_key, is_relisted
    from {{ ref('int_report_rows') }}
),

numbered as (
    select
        *,
        row_number() over (
            partition by report_fiscal_year, source_row_no, kpi_no, field_name
            order by rule_name, raw_text, repaired_value, note
        ) as repair_seq
    from repairs
)

select
    {{ dxplan_key(['n.report_fiscal_year', 'n.source_row_no', 'n.kpi_no', 'n.field_name', 'n.repair_seq']) }}
        as repair_key,
    n.report_fiscal_year,
    n.source_row_no,
    w.project_no,
    w.initiative_key,
    w.is_relisted as row_is_relisted,
    n.kpi_no,
    case when n.kpi_no is not null then {{ dxplan_key(['n.kpi_no']) }} end as kpi_key,
    n.field_name,
    n.raw_text,
    n.repaired_value,
    n.rule_name,
    n.note,
    cast(n.repair_seq as integer) as repair_seq
from numbered as n
left join rows as w
    on w.report_fiscal_year = n.report_fiscal_year
    and w.source_row_no = n.source_row_no
order by n.report_fiscal_year, n.source_row_no, n.kpi_no, n.field_name, n.repair_seq
