-- marts_ja.fct_kpi_yearly: KPI×年度×報告 (目標値・実績値・評価・達成率)
-- marts.fct_kpi_yearly with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.fct_kpi_yearly when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='fct_kpi_yearly') }}
{%- set names = {
    'kpi_yearly_key':     'KPI年度キー',
    'kpi_key':            'KPIキー',
    'kpi_no':             'KPI番号',
    'fiscal_year':        '年度',
    'report_fiscal_year': '報告年度',
    'is_report_year':     '報告対象年度',
    'direction':          '方向コード',
    'unit':               '単位',
    'target_value':       '目標値',
    'target_text':        '目標値_表記',
    'target_comparator':  '目標値_修飾',
    'actual_value':       '実績値',
    'actual_text':        '実績値_表記',
    'actual_comparator':  '実績値_修飾',
    'actual_as_of':       '実績時点',
    'evaluation_text':    '評価_表記',
    'evaluation':         '評価',
    'evaluation_code':    '評価コード',
    'achievement_rate':   '達成率'
} %}
{#- (name, column it needs, expression): direction also in words, next to its code #}
{%- set derived = [
    ('方向', 'direction',
     "case direction when 'increase' then '増加' when 'decrease' then '減少' when 'maintain' then '維持' end")
] %}
{%- set source = ref('fct_kpi_yearly') %}
{{ japanese_view(source, names, derived) }}
