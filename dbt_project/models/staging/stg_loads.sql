-- 取込 (loads): every published load, renamed and typed only.
-- Columns, types and renames: stg_loads.yml (macros/staged.sql).
{{ staged(source('staging', 'loads')) }}
