-- marts_ja.mart_kpi_progress: KPI進捗 (KPI×報告、ダッシュボードの基になる表)
-- marts.mart_kpi_progress with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.mart_kpi_progress when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='mart_kpi_progress') }}
{%- set names = {
    'kpi_progress_key':        'KPI進捗キー',
    'kpi_key':                 'KPIキー',
    'kpi_no':                  'KPI番号',
    'indicator_name':          '指標名',
    'unit':                    '単位',
    'direction':               '方向コード',
    'report_fiscal_year':      '報告年度',
    'project_no':              '事業番号',
    'initiative_key':          '事業キー',
    'baseline_value':          '基準値',
    'baseline_text':           '基準値_表記',
    'target_value':            '目標値',
    'target_text':             '目標値_表記',
    'target_comparator':       '目標値_修飾',
    'actual_value':            '実績値',
    'actual_text':             '実績値_表記',
    'actual_comparator':       '実績値_修飾',
    'actual_as_of':            '実績時点',
    'achievement_rate':        '達成率',
    'evaluation':              '評価',
    'evaluation_code':         '評価コード',
    'final_fiscal_year':       '最終目標年度',
    'final_target_value':      '最終目標値',
    'final_target_text':       '最終目標値_表記',
    'final_target_comparator': '最終目標値_修飾',
    'progress_to_final':       '最終目標への進捗'
} %}
{#- (name, column it needs, expression): direction also in words, next to its code #}
{%- set derived = [
    ('方向', 'direction',
     "case direction when 'increase' then '増加' when 'decrease' then '減少' when 'maintain' then '維持' end")
] %}
{%- set source = ref('mart_kpi_progress') %}
{{ japanese_view(source, names, derived) }}
