-- 年度の参照 (year references): every report year a mart names is a report of dim_report,
-- and every fiscal year one of dim_fiscal_year. One test node for what were fourteen
-- `relationships` tests (same rule: a NULL refers to nothing and passes). Returns the
-- offending model, column and year.
{%- set references = {
    'dim_report': ('report_fiscal_year', [
        ('bridge_initiative_kpi', 'report_fiscal_year'),
        ('bridge_initiative_organisation', 'report_fiscal_year'),
        ('bridge_initiative_plan_item', 'report_fiscal_year'),
        ('fct_initiative_status', 'report_fiscal_year'),
        ('fct_kpi_yearly', 'report_fiscal_year'),
        ('fct_repairs', 'report_fiscal_year'),
        ('mart_department_scorecard', 'report_fiscal_year'),
        ('mart_kpi_progress', 'report_fiscal_year'),
    ]),
    'dim_fiscal_year': ('fiscal_year', [
        ('dim_report', 'report_fiscal_year'),
        ('fct_kpi_yearly', 'fiscal_year'),
        ('kpi_target_history', 'fiscal_year'),
        ('kpi_target_history', 'valid_from_report'),
        ('kpi_target_history', 'valid_to_report'),
        ('mart_kpi_progress', 'final_fiscal_year'),
    ]),
} %}
{%- for dimension, (field, columns) in references.items() %}
{%- for model, column in columns %}
select '{{ model }}' as model_name, '{{ column }}' as column_name, r.{{ column }} as year
from {{ ref(model) }} as r
where r.{{ column }} is not null
  and r.{{ column }} not in (select {{ field }} from {{ ref(dimension) }} where {{ field }} is not null)
{{ 'union all' if not loop.last }}
{%- endfor %}
{{ 'union all' if not loop.last }}
{%- endfor %}
