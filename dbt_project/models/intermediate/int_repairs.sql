-- Every repair of the current loads, joined once to where it was made: its table row
-- (project, 再掲 flag, the row's KPI, page, lines, cell) and its file. repair_key and
-- repair_seq number the repairs of one field of one row. Shared by fct_repairs and
-- mart_kpi_value_trust.
with numbered as (
    select
        *,
        row_number() over (
            partition by report_fiscal_year, source_row_no, kpi_no, field_name
            order by rule_name, raw_text, repaired_value, note
        ) as repair_seq
    from {{ of_current_loads(ref('stg_repairs')) }}
)

select
    {{ dxplan_key(['n.report_fiscal_year', 'n.source_row_no', 'n.kpi_no', 'n.field_name', 'n.repair_seq']) }}
        as repair_key,
    n.report_fiscal_year,
    n.source_row_no,
    w.project_no,
    w.initiative_key,
    w.is_relisted as row_is_relisted,
    w.kpi_no as row_kpi_no,
    n.kpi_no,
    case when n.kpi_no is not null then {{ dxplan_key(['n.kpi_no']) }} end as kpi_key,
    n.field_name,
    n.raw_text,
    n.repaired_value,
    n.rule_name,
    n.note,
    cast(n.repair_seq as integer) as repair_seq,
    w.load_id,
    w.page_no,
    w.line_start,
    w.line_end,
    w.source_cell,
    l.source_name,
    l.source_path,
    l.file_format
from numbered as n
left join {{ ref('int_report_rows') }} as w
    on w.report_fiscal_year = n.report_fiscal_year
    and w.source_row_no = n.source_row_no
left join {{ ref('int_current_loads') }} as l
    on l.load_id = w.load_id
