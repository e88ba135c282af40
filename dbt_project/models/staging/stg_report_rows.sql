-- 表の行 (report rows): renamed and typed only; 再掲 rows are still unresolved here.
-- Columns, types and renames: stg_report_rows.yml (macros/staged.sql); the staged
-- columns it does not list follow as they are.
{{ staged(source('staging', 'report_rows')) }}
