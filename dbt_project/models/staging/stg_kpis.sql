-- KPI (業績評価指標): renamed and typed only.
-- Columns, types and renames: stg_kpis.yml (macros/staged.sql).
{{ staged(source('staging', 'kpis')) }}
