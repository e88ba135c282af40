-- marts_ja.fct_initiative_status: 事業×報告 (指標又は目標・取組状況・評価)
-- marts.fct_initiative_status with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.fct_initiative_status when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='fct_initiative_status') }}
{%- set names = {
    'initiative_status_key': '取組状況キー',
    'initiative_key':        '事業キー',
    'project_no':            '事業番号',
    'report_fiscal_year':    '報告年度',
    'source_row_no':         '行番号',
    'has_own_row':           '本掲あり',
    'table_row_count':       '掲載行数',
    'target_text':           '指標又は目標',
    'status_text':           '取組状況',
    'evaluation_text':       '評価_表記',
    'evaluation':            '評価',
    'evaluation_code':       '評価コード'
} %}
{%- set derived = [] %}
{%- set source = ref('fct_initiative_status') %}
{{ japanese_view(source, names, derived) }}
