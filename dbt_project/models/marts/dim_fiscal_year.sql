-- 年度 (fiscal years): every year from the earliest to the latest referenced by a
-- report (report years, target years, actual years; superseded loads included, as
-- kpi_target_history keeps their targets), April–March.
with referenced as (
    select report_fiscal_year as fiscal_year from {{ ref('int_current_loads') }}
    union
    select fiscal_year from {{ ref('int_kpi_targets') }}
    union
    select fiscal_year from {{ ref('int_kpi_yearly') }}
    union
    select fiscal_year from {{ ref('int_kpi_target_publications') }}
    union
    select report_fiscal_year from {{ ref('int_kpi_target_publications') }}
),

bounds as (
    select min(fiscal_year) as first_year, max(fiscal_year) as last_year
    from referenced
),

years as (
    select cast(unnest(range(first_year, last_year + 1)) as integer) as fiscal_year
    from bounds
    where first_year is not null
),

reports as (
    select report_fiscal_year, is_latest_report
    from {{ ref('int_current_loads') }}
)

select
    y.fiscal_year,
    {{ wareki_label('y.fiscal_year') }} as wareki_label,
    {{ wareki_era('y.fiscal_year') }} as wareki_era,
    cast({{ wareki_era_year('y.fiscal_year') }} as integer) as wareki_year,
    case {{ wareki_era('y.fiscal_year') }} when '令和' then 'R' when '平成' then 'H' else 'S' end
        || cast({{ wareki_era_year('y.fiscal_year') }} as varchar) as wareki_short_label,
    make_date(y.fiscal_year, 4, 1) as start_date,
    make_date(y.fiscal_year + 1, 3, 31) as end_date,
    r.report_fiscal_year is not null as has_report,
    coalesce(r.is_latest_report, false) as is_latest_report_year
from years as y
left join reports as r
    on r.report_fiscal_year = y.fiscal_year
order by y.fiscal_year
