-- 部局別スコアカード (department scorecard): department × report. A project counts for
-- every department it names (bridge_initiative_organisation, in that report); 再掲 rows
-- do not count again. A KPI counts for the departments of the project(s) that define
-- it (its own, non-再掲 rows). A project that names no department counts for
-- '(担当不明)'. Ranked within each report: most KPIs behind target first.
with owned as (
    -- each report's projects (their own rows, not 再掲) and the KPIs they define
    select b.report_fiscal_year, b.initiative_key, i.project_no, cast(null as integer) as kpi_no
    from {{ ref('bridge_initiative_plan_item') }} as b
    inner join {{ ref('dim_initiative') }} as i on i.initiative_key = b.initiative_key
    where not coalesce(b.is_relisted, false)
    union
    select b.report_fiscal_year, b.initiative_key, cast(null as integer), k.kpi_no
    from {{ ref('bridge_initiative_kpi') }} as b
    inner join {{ ref('dim_kpi') }} as k on k.kpi_key = b.kpi_key
    where not coalesce(b.is_relisted, false)
),

projects as (
    select report_fiscal_year, initiative_key, project_no from owned where project_no is not null
),

kpi_owners as (
    select report_fiscal_year, initiative_key, kpi_no from owned where kpi_no is not null
),

initiatives as (
    select distinct report_fiscal_year, initiative_key from owned
),

named_departments as (
    select distinct report_fiscal_year, initiative_key, department
    from {{ ref('bridge_initiative_organisation') }}
    where department is not null
),

initiative_departments as (
    select
        i.report_fiscal_year,
        i.initiative_key,
        coalesce(d.department, '(担当不明)') as department
    from initiatives as i
    left join named_departments as d
        on d.report_fiscal_year = i.report_fiscal_year
        and d.initiative_key = i.initiative_key
),

department_projects as (
    select
        d.report_fiscal_year,
        d.department,
        count(distinct p.project_no) as project_count,
        list(distinct p.project_no order by p.project_no) as project_nos
    from initiative_departments as d
    inner join projects as p
        on p.report_fiscal_year = d.report_fiscal_year
        and p.initiative_key = d.initiative_key
    group by d.report_fiscal_year, d.department
),

department_kpis as (
    select distinct
        d.report_fiscal_year,
        d.department,
        k.kpi_no,
        m.evaluation_code,
        m.achievement_rate
    from initiative_departments as d
    inner join kpi_owners as k using (report_fiscal_year, initiative_key)
    left join {{ ref('mart_kpi_progress') }} as m using (report_fiscal_year, kpi_no)
),

kpi_counts as (
    select
        report_fiscal_year,
        department,
        count(*) as kpi_count,
        count(*) filter (where evaluation_code = 'achieved') as achieved_count,
        count(*) filter (where evaluation_code = 'partially_achieved') as partially_achieved_count,
        count(*) filter (where evaluation_code = 'not_achieved') as not_achieved_count,
        count(*) filter (where evaluation_code is null) as not_evaluated_count,
        avg(achievement_rate) as mean_achievement_rate,
        list(kpi_no order by kpi_no) as kpi_nos,
        list(kpi_no order by kpi_no)
            filter (where evaluation_code in ('partially_achieved', 'not_achieved'))
            as behind_kpi_nos
    from department_kpis
    group by report_fiscal_year, department
),

departments as (
    select distinct report_fiscal_year, department from initiative_departments
),

scores as (
    select
        d.report_fiscal_year,
        d.department,
        cast(coalesce(p.project_count, 0) as integer) as project_count,
        cast(coalesce(k.kpi_count, 0) as integer) as kpi_count,
        cast(coalesce(k.achieved_count, 0) as integer) as achieved_count,
        cast(coalesce(k.partially_achieved_count, 0) as integer) as partially_achieved_count,
        cast(coalesce(k.not_achieved_count, 0) as integer) as not_achieved_count,
        cast(coalesce(k.not_evaluated_count, 0) as integer) as not_evaluated_count,
        cast(coalesce(k.partially_achieved_count, 0) + coalesce(k.not_achieved_count, 0) as integer)
            as behind_count,
        k.mean_achievement_rate,
        cast(coalesce(p.project_nos, []) as integer[]) as project_nos,
        cast(coalesce(k.kpi_nos, []) as integer[]) as kpi_nos,
        cast(coalesce(k.behind_kpi_nos, []) as integer[]) as behind_kpi_nos
    from departments as d
    left join department_projects as p using (report_fiscal_year, department)
    left join kpi_counts as k using (report_fiscal_year, department)
)

select
    {{ dxplan_key(['department', 'report_fiscal_year']) }} as department_scorecard_key,
    report_fiscal_year,
    department,
    cast(row_number() over (
        partition by report_fiscal_year
        order by behind_count desc, not_achieved_count desc, kpi_count desc, project_count desc,
            department
    ) as integer) as scorecard_rank,
    project_count,
    kpi_count,
    achieved_count,
    partially_achieved_count,
    not_achieved_count,
    not_evaluated_count,
    behind_count,
    mean_achievement_rate,
    project_nos,
    kpi_nos,
    behind_kpi_nos
from scores
order by report_fiscal_year, scorecard_rank
