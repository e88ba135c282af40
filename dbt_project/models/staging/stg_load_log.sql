-- 取込ログ (load log): renamed and typed only.
-- Columns, types and renames: stg_load_log.yml (macros/staged.sql).
{{ staged(source('audit', 'load_log')) }}
