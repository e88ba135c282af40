-- 目標値 (KPI targets): renamed and typed only.
-- Columns, types and renames: stg_kpi_targets.yml (macros/staged.sql).
{{ staged(source('staging', 'kpi_targets')) }}
