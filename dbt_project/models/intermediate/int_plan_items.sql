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

area_names as (
    select
        r.plan_item_key, r.area_name,
        row_number() over (
            partition by r.plan_item_key
            order by count(*) desc, min(r.source_row_no)
        ) as name_rank
    from rows as r
    inner join spans as s
        on s.plan_item_key = r.plan_item_key
        and s.last_report_fiscal_year = r.report_fiscal_year
    where r.area_name is not null
    group by r.plan_item_key, r.area_name
),

item_names as (
    select
        r.plan_item_key, r.item_name,
        row_number() over (
            partition by r.plan_item_key
            order by count(*) desc, min(r.source_row_no)
        ) as name_rank
    from rows as r
    inner join spans as s
        on s.plan_item_key = r.plan_item_key
        and s.last_report_fiscal_year = r.report_fiscal_year
    where r.item_name is not null
    group by r.plan_item_key, r.item_name
),

keys as (
    select distinct plan_item_key, pillar, area_no, item_no
    from rows
)

select
    k.plan_item_key,
    k.pillar,
    k.area_no,
    a.area_name,
    k.item_no,
    i.item_name,
    s.first_report_fiscal_year,
    s.last_report_fiscal_year
from keys as k
inner join spans as s
    on s.plan_item_key = k.plan_item_key
left join area_names as a
    on a.plan_item_key = k.plan_item_key and a.name_rank = 1
left join item_names as i
    on i.plan_item_key = k.plan_item_key and i.name_rank = 1
