-- KPI × fiscal year × report: the targets a report prints (one per fiscal year)
-- joined with its actual, which belongs to the report's own fiscal year. A year
-- appears when the report prints a target for it, or (report year only) an
-- actual or an evaluation.
with kpis as (
    select
        k.*,
        l.as_of_date as report_as_of_date
    from {{ ref('int_kpis') }} as k
    inner join {{ ref('int_current_loads') }} as l
        on l.load_id = k.load_id
),

targets as (
    select * from {{ ref('int_kpi_targets') }}
),

actuals as (
    select
        report_fiscal_year,
        kpi_no,
        report_fiscal_year as fiscal_year,
        actual_text,
        actual_value,
        actual_comparator,
        case when actual_text is not null or actual_value is not null
             then coalesce(actual_as_of, report_as_of_date) end as actual_as_of,
        evaluation_text,
        evaluation
    from kpis
    where actual_text is not null
       or actual_value is not null
       or evaluation is not null
),

years as (
    select report_fiscal_year, kpi_no, fiscal_year from targets
    union
    select report_fiscal_year, kpi_no, fiscal_year from actuals
)

select
    {{ dxplan_key(['y.kpi_no', 'y.fiscal_year', 'y.report_fiscal_year']) }} as kpi_yearly_key,
    {{ dxplan_key(['y.kpi_no']) }} as kpi_key,
    y.kpi_no,
    y.fiscal_year,
    y.report_fiscal_year,
    y.fiscal_year = y.report_fiscal_year as is_report_year,
    k.direction,
    k.unit,
    t.target_value,
    t.target_text,
    t.target_comparator,
    a.actual_value,
    a.actual_text,
    a.actual_comparator,
    a.actual_as_of,
    a.evaluation_text,
    a.evaluation
from years as y
left join kpis as k
    on k.report_fiscal_year = y.report_fiscal_year and k.kpi_no = y.kpi_no
left join targets as t
    on t.report_fiscal_year = y.report_fiscal_year
    and t.kpi_no = y.kpi_no
    and t.fiscal_year = y.fiscal_year
left join actuals as a
    on a.report_fiscal_year = y.report_fiscal_year
    and a.kpi_no = y.kpi_no
    and a.fiscal_year = y.fiscal_year
