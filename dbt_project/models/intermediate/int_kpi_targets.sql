-- Targets printed by the current load of each report year.
select
    t.report_fiscal_year,
    t.kpi_no,
    {{ dxplan_key(['t.kpi_no']) }} as kpi_key,
    t.fiscal_year,
    t.target_text,
    t.target_value,
    t.target_comparator
from {{ of_current_loads(ref('stg_kpi_targets')) }} as t
