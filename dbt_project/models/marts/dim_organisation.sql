-- 担当組織 (organisations): one row per department (部) / division (課) pair that
-- any current report names, with the first and last report that names it.
select
    organisation_key,
    department,
    division,
    min(report_fiscal_year) as first_report_fiscal_year,
    max(report_fiscal_year) as last_report_fiscal_year
from {{ ref('int_initiative_organisations') }}
group by organisation_key, department, division
order by department, division
