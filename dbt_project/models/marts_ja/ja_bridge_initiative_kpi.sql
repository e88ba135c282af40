-- marts_ja.bridge_initiative_kpi: 事業×KPI×報告
-- marts.bridge_initiative_kpi with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.bridge_initiative_kpi when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='bridge_initiative_kpi') }}
{%- set names = {
    'initiative_key':     '事業キー',
    'kpi_key':            'KPIキー',
    'report_fiscal_year': '報告年度',
    'project_no':         '事業番号',
    'kpi_no':             'KPI番号',
    'is_defining':        '定義事業',
    'is_relisted':        'KPI再掲'
} %}
{%- set derived = [] %}
{%- set source = ref('bridge_initiative_kpi') %}
{{ japanese_view(source, names, derived) }}
