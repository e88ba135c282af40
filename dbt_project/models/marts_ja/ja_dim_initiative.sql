-- marts_ja.dim_initiative: 事業 (事業番号ごと、最新の報告の記載)
-- marts.dim_initiative with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.dim_initiative when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='dim_initiative') }}
{%- set names = {
    'initiative_key':           '事業キー',
    'project_no':               '事業番号',
    'project_name':             '事業名',
    'summary':                  '事業概要',
    'department':               '担当部',
    'division':                 '担当課',
    'home_plan_item_key':       '本来の計画項目キー',
    'first_report_fiscal_year': '初出報告年度',
    'last_report_fiscal_year':  '最終報告年度',
    'report_count':             '掲載報告数',
    'is_in_latest_report':      '最新報告に掲載'
} %}
{%- set derived = [] %}
{%- set source = ref('dim_initiative') %}
{{ japanese_view(source, names, derived) }}
