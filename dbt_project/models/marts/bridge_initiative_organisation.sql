-- 事業×担当組織 (initiative × organisation × report): the '|' joined department and
-- division of a project split into one row per pair, in printed order.
select
    initiative_key,
    organisation_key,
    project_no,
    report_fiscal_year,
    cast(org_ordinal as integer) as org_ordinal,
    department,
    division
from {{ ref('int_initiative_organisations') }}
order by report_fiscal_year, project_no, org_ordinal
