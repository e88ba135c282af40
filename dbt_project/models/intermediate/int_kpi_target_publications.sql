-- Every publication of every KPI target: the targets of ALL loads (current and
-- superseded), in publication order. Report years in order; within a report year
-- the superseded loads by load time and the current load last (a load made current
-- again keeps its old load time, so is_current decides, not the time).
with loads as (
    select
        load_id,
        report_fiscal_year,
        is_current,
        row_number() over (
            order by report_fiscal_year, is_current, loaded_at, load_id
        ) as publication_seq
    from {{ ref('stg_loads') }}
),

latest as (
    select max(report_fiscal_year) as latest_report_fiscal_year
    from {{ ref('int_current_loads') }}
)

select
    t.kpi_no,
    {{ dxplan_key(['t.kpi_no']) }} as kpi_key,
    t.fiscal_year,
    l.report_fiscal_year,
    l.load_id,
    l.is_current as load_is_current,
    cast(l.publication_seq as integer) as publication_seq,
    t.target_value,
    t.target_text,
    t.target_comparator,
    latest.latest_report_fiscal_year
from {{ ref('stg_kpi_targets') }} as t
inner join loads as l
    on l.load_id = t.load_id
cross join latest
