-- KPI進捗 (KPI progress, the dashboard view): KPI × report. The target and actual
-- of the report's own fiscal year, and the way travelled from the baseline to the
-- plan's final target as that report prints it. Attributes (name, unit,
-- direction, baseline) are the ones that report printed, so that the numbers of
-- one row always belong together; dim_kpi carries the latest ones.
with kpis as (
    select * from {{ ref('int_kpis') }}
),

yearly as (
    select * from {{ ref('fct_kpi_yearly') }}
),

report_year as (
    select * from yearly where is_report_year
),

final_year as (
    -- the last year with a numeric target; a KPI whose targets are all text
    -- falls back to the last year with any printed target
    select
        kpi_no,
        report_fiscal_year,
        coalesce(
            max(fiscal_year) filter (where target_value is not null),
            max(fiscal_year) filter (where target_text is not null)
        ) as final_fiscal_year
    from yearly
    group by kpi_no, report_fiscal_year
),

final_target as (
    select
        f.kpi_no,
        f.report_fiscal_year,
        f.final_fiscal_year,
        y.target_value as final_target_value,
        y.target_text as final_target_text,
        y.target_comparator as final_target_comparator
    from final_year as f
    left join yearly as y
        on y.kpi_no = f.kpi_no
        and y.report_fiscal_year = f.report_fiscal_year
        and y.fiscal_year = f.final_fiscal_year
)

select
    {{ dxplan_key(['k.kpi_no', 'k.report_fiscal_year']) }} as kpi_progress_key,
    k.kpi_key,
    k.kpi_no,
    k.indicator_name,
    k.unit,
    k.direction,
    k.report_fiscal_year,
    k.project_no,
    case when k.project_no is not null then {{ dxplan_key(['k.project_no']) }} end as initiative_key,
    k.baseline_value,
    k.baseline_text,
    r.target_value,
    r.target_text,
    r.target_comparator,
    k.actual_value,
    k.actual_text,
    k.actual_comparator,
    r.actual_as_of,
    r.achievement_rate,
    k.evaluation,
    {{ evaluation_code('k.evaluation') }} as evaluation_code,
    f.final_fiscal_year,
    f.final_target_value,
    f.final_target_text,
    f.final_target_comparator,
    {{ progress_to_final('k.actual_value', 'k.baseline_value', 'f.final_target_value') }}
        as progress_to_final
from kpis as k
left join report_year as r
    on r.kpi_no = k.kpi_no and r.report_fiscal_year = k.report_fiscal_year
left join final_target as f
    on f.kpi_no = k.kpi_no and f.report_fiscal_year = k.report_fiscal_year
order by k.report_fiscal_year, k.kpi_no
