-- marts_ja.dim_kpi: KPI (KPI番号ごと)
-- marts.dim_kpi with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.dim_kpi when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='dim_kpi') }}
{%- set names = {
    'kpi_key':                  'KPIキー',
    'kpi_no':                   'KPI番号',
    'indicator_name':           '指標名',
    'unit':                     '単位',
    'direction':                '方向コード',
    'baseline_value':           '基準値',
    'baseline_text':            '基準値_表記',
    'baseline_comparator':      '基準値_修飾',
    'defining_project_no':      '定義事業番号',
    'defining_initiative_key':  '定義事業キー',
    'is_defined':               '定義あり',
    'first_report_fiscal_year': '初出報告年度',
    'last_report_fiscal_year':  '最終報告年度',
    'report_count':             '掲載報告数',
    'is_in_latest_report':      '最新報告に掲載'
} %}
{#- (name, column it needs, expression): direction also in words, next to its code #}
{%- set derived = [
    ('方向', 'direction',
     "case direction when 'increase' then '増加' when 'decrease' then '減少' when 'maintain' then '維持' end")
] %}
{%- set source = ref('dim_kpi') %}
{{ japanese_view(source, names, derived) }}
