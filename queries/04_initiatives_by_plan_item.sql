-- 計画の項目ごとの事業(再掲を含む) (initiatives under each item of the plan, 再掲 included)
--
-- One line per table row of the report: the plan item (柱 / 分野 / 項目), the project
-- listed under it, and whether the row re-lists (再掲) a project whose own row is under
-- another item. Report year: the latest loaded, or  SET VARIABLE report_year = 2023;
WITH params AS (
    SELECT coalesce(getvariable('report_year'), max(report_fiscal_year)) AS report_year
    FROM marts.bridge_initiative_plan_item
)
SELECT
    pi.pillar,
    pi.area_no,
    pi.area_name,
    pi.item_no,
    pi.item_name,
    i.project_no,
    i.project_name,
    b.is_relisted,
    CASE WHEN b.is_relisted THEN '再掲' ELSE '' END AS relisted_mark,
    i.department,
    i.division,
    b.source_row_no
FROM marts.bridge_initiative_plan_item b
JOIN params ON b.report_fiscal_year = params.report_year
JOIN marts.dim_plan_item pi USING (plan_item_key)
JOIN marts.dim_initiative i USING (initiative_key)
ORDER BY
    CASE pi.pillar WHEN 'I' THEN 1 WHEN 'II' THEN 2 ELSE 9 END,
    pi.area_no,
    CASE WHEN pi.item_no = '計画' THEN 0 ELSE try_cast(pi.item_no AS INTEGER) END NULLS LAST,
    b.source_row_no;
