-- marts_ja.bridge_initiative_plan_item: 事業×計画項目 (報告書の表の1行、再掲を含む)
-- marts.bridge_initiative_plan_item with Japanese column names, for Japanese BI users (same rows).
-- The column list is read from marts.bridge_initiative_plan_item when dbt runs: every column is kept, in
-- its order, renamed when it is in `names` below (others keep their English name), so
-- new or dropped mart columns never break this view. The view lists its columns
-- explicitly (no `SELECT *` / `RENAME`): older DuckDB readers can open the file.
-- Glossary: docs/BI.md.
{{ config(materialized='view', schema='marts_ja', alias='bridge_initiative_plan_item') }}
{%- set names = {
    'initiative_key':     '事業キー',
    'plan_item_key':      '計画項目キー',
    'report_fiscal_year': '報告年度',
    'source_row_no':      '行番号',
    'is_relisted':        '再掲',
    'project_no':         '事業番号',
    'project_resolution': '事業の特定方法',
    'page_no':            'ページ',
    'line_start':         '開始行',
    'line_end':           '終了行',
    'source_cell':        'セル位置'
} %}
{%- set derived = [] %}
{%- set source = ref('bridge_initiative_plan_item') %}
{{ japanese_view(source, names, derived) }}
