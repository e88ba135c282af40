-- 事業 (initiatives): one row per numbered project (事業番号); the latest report
-- that lists the project wins. A project dropped by later reports stays, with
-- is_in_latest_report = false.
with reports as (
    select
        *,
        {{ report_history('project_no') }}
    from {{ ref('int_initiative_reports') }}
),

latest as (
    select report_fiscal_year from {{ ref('int_current_loads') }} where is_latest_report
)

select
    r.initiative_key,
    r.project_no,
    r.project_name,
    r.summary,
    r.department,
    r.division,
    r.plan_item_key as home_plan_item_key,
    r.first_report_fiscal_year,
    r.report_fiscal_year as last_report_fiscal_year,
    r.report_count,
    r.report_fiscal_year = (select max(report_fiscal_year) from latest) as is_in_latest_report
from reports as r
where r.recency = 1
order by r.project_no
