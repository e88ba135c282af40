-- 計画項目 (plan items): pillar (柱) / area (分野) / item (項目) of the plan's structure.
select
    plan_item_key,
    pillar,
    area_no,
    area_name,
    item_no,
    item_name,
    case pillar when 'I' then 1 when 'II' then 2 end as pillar_sort,
    coalesce(try_cast(item_no as integer), case when item_no = '計画' then 0 end) as item_sort,
    first_report_fiscal_year,
    last_report_fiscal_year
from {{ ref('int_plan_items') }}
order by pillar_sort, pillar, area_no, item_sort, item_no
