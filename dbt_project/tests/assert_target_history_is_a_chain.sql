-- Each KPI × fiscal year has exactly one current target version, and its versions
-- form a chain: every closed version ends where the next one starts.
with v as (
    select
        *,
        lead(valid_from_report) over (
            partition by kpi_no, fiscal_year order by version_no) as next_from
    from {{ ref('kpi_target_history') }}
)

select kpi_no, fiscal_year, 'not exactly one current version' as problem
from v
group by kpi_no, fiscal_year
having count(*) filter (where is_current) <> 1

union all

select kpi_no, fiscal_year, 'broken chain' as problem
from v
where valid_to_report is distinct from next_from
   or (is_current and valid_to_report is not null)
   or valid_from_report > coalesce(valid_to_report, 9999)
