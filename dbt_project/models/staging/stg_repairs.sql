-- 補正 (parser repairs): renamed (raw -> raw_text, value -> repaired_value) and typed only.
-- Columns, types and renames: stg_repairs.yml (macros/staged.sql).
{{ staged(source('staging', 'repairs')) }}
