-- marts_ja.dim_plan_item: 計画項目 (柱・分野・項目)
-- marts.dim_plan_item with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.dim_plan_item when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='dim_plan_item') }}
{%- set names = {
    'plan_item_key':            '計画項目キー',
    'pillar':                   '柱',
    'area_no':                  '分野番号',
    'area_name':                '分野名',
    'item_no':                  '項目番号',
    'item_name':                '項目名',
    'pillar_sort':              '柱_並び順',
    'item_sort':                '項目_並び順',
    'first_report_fiscal_year': '初出報告年度',
    'last_report_fiscal_year':  '最終報告年度'
} %}
{%- set derived = [] %}
{%- set source = ref('dim_plan_item') %}
{{ japanese_view(source, names, derived) }}
