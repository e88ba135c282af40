-- Plan items (計画の柱 / 分野 / 項目) referenced by any row of any current report,
-- with the names the latest report that uses the item prints (the most frequent
-- spelling within that report, then the earliest row).
with rows as (
    select * from {{ ref('int_report_rows') }}
),

spans as (
    select
        plan_item_key,
        min(report_fiscal_year) as first_report_fiscal_year,
        max(report_fiscal_year) as last_report_fiscal_year
    from rows
    group by plan_item_key
),

printed_names as (
    select plan_item_key, report_fiscal_year, source_row_no, 'area' as part, area_name as name
    from rows
    union all
    select plan_item_key, report_fiscal_year, source_row_no, 'item' as part, item_name as name
    from rows
),

names as (
    -- per plan item and part (area / item): the spellings of the latest report, ranked
    select
        n.plan_item_key, n.part, n.name,
        row_number() over (
            partition by n.plan_item_key, n.part
            order by count(*) desc, min(n.source_row_no)
        ) as name_rank
    from printed_names as n
    inner join spans as s
        on s.plan_item_key = n.plan_item_key
        and s.last_report_fiscal_year = n.report_fiscal_year
    where n.name is not null
    group by n.plan_item_key, n.part, n.name
),

keys as (
    select distinct plan_item_key, pillar, area_no, item_no
    from rows
)

select
    k.plan_item_key,
    k.pillar,
    k.area_no,
    a.name as area_name,
    k.item_no,
    i.name as item_name,
    s.first_report_fiscal_year,
    s.last_report_fiscal_year
from keys as k
inner join spans as s
    on s.plan_item_key = k.plan_item_key
left join names as a
    on a.plan_item_key = k.plan_item_key and a.part = 'area' and a.name_rank = 1
left join names as i
    on i.plan_item_key = k.plan_item_key and i.part = 'item' and i.name_rank = 1
