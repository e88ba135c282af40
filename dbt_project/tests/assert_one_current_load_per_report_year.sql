-- Staging must have exactly one current (is_current) load per report year that it
-- holds at all; otherwise the marts would mix two versions of one report.
select report_fiscal_year, count(*) filter (where is_current) as current_loads
from {{ ref('stg_loads') }}
group by report_fiscal_year
having count(*) filter (where is_current) <> 1
