-- 取込の履歴 (what each pipeline run did with each file)
--
-- Every file of every run: published, unchanged (same bytes as before) or rejected, with
-- the reason. The validation results of each load are in audit.validation_results.
SELECT
    finished_at,
    regexp_extract(source_path, '[^/\\]+$') AS file_name,
    report_fiscal_year,
    status,
    rows_in,
    message
FROM audit.load_log
ORDER BY finished_at DESC, file_name;
