-- marts_ja.dim_fiscal_year: 年度
-- marts.dim_fiscal_year with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.dim_fiscal_year when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='dim_fiscal_year') }}
{%- set names = {
    'fiscal_year':           '年度',
    'wareki_label':          '和暦年度',
    'wareki_era':            '元号',
    'wareki_year':           '和暦年',
    'wareki_short_label':    '略記',
    'start_date':            '年度開始日',
    'end_date':              '年度末日',
    'has_report':            '報告あり',
    'is_latest_report_year': '最新報告年度'
} %}
{%- set derived = [] %}
{%- set source = ref('dim_fiscal_year') %}
{{ japanese_view(source, names, derived) }}
