-- KPI実績・目標 (KPI yearly facts): KPI × fiscal year × report, with the
-- achievement rate (達成率) where the report gives both a target and an actual.
select
    kpi_yearly_key,
    kpi_key,
    kpi_no,
    fiscal_year,
    report_fiscal_year,
    is_report_year,
    direction,
    unit,
    target_value,
    target_text,
    target_comparator,
    actual_value,
    actual_text,
    actual_comparator,
    actual_as_of,
    evaluation_text,
    evaluation,
    {{ evaluation_code('evaluation') }} as evaluation_code,
    {{ achievement_rate('direction', 'target_value', 'actual_value') }} as achievement_rate
from {{ ref('int_kpi_yearly') }}
order by report_fiscal_year, kpi_no, fiscal_year
