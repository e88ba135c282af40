-- Initiative × KPI × report links: every KPI a project defines (staging.kpis) plus
-- every KPI shown on one of its rows (own or 再掲). A KPI shared by several
-- projects stays one KPI with one link per project.
-- is_relisted: the project neither defines the KPI nor shows it on a plain row
-- (its only link is a KPI 再掲 or a 再掲 row).
with defined as (
    select report_fiscal_year, project_no, kpi_no, true as is_defining, true as is_plain
    from {{ ref('int_kpis') }}
    where project_no is not null
),

shown as (
    select
        report_fiscal_year,
        project_no,
        kpi_no,
        false as is_defining,
        not (is_relisted or kpi_is_relisted) as is_plain
    from {{ ref('int_row_kpis') }}
    where project_no is not null and kpi_no is not null
),

links as (
    select * from defined
    union all
    select * from shown
)

select
    {{ dxplan_key(['project_no']) }} as initiative_key,
    {{ dxplan_key(['kpi_no']) }} as kpi_key,
    project_no,
    kpi_no,
    report_fiscal_year,
    bool_or(is_defining) as is_defining,
    not bool_or(is_plain) as is_relisted
from links
group by report_fiscal_year, project_no, kpi_no
