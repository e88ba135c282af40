-- 補正記録 (parser repairs): every value the parser reconstructed, corrected or
-- guessed in the current report loads, with the row, project and KPI it belongs
-- to, so analysts can see which warehouse values are not exactly as printed.
select
    repair_key,
    report_fiscal_year,
    source_row_no,
    project_no,
    initiative_key,
    row_is_relisted,
    kpi_no,
    kpi_key,
    field_name,
    raw_text,
    repaired_value,
    rule_name,
    note,
    repair_seq
from {{ ref('int_repairs') }}
order by report_fiscal_year, source_row_no, kpi_no, field_name, repair_seq
