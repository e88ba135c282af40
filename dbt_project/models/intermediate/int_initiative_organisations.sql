-- 担当 (responsible organisations) of each initiative × report, one row per
-- department/division pair. The '|' joined lists are split in printed order and
-- paired by position; when one side has a single entry it is shared by every
-- entry of the other side (e.g. 企画調整部 with デジタル変革課|情報政策課).
with src as (
    select
        initiative_key,
        project_no,
        report_fiscal_year,
        case when department is null then [] else string_split(department, '|') end as departments,
        case when division is null then [] else string_split(division, '|') end as divisions
    from {{ ref('int_initiative_reports') }}
    where department is not null or division is not null
),

positions as (
    select
        src.*,
        unnest(range(1, greatest(len(departments), len(divisions)) + 1)) as org_ordinal
    from src
),

paired as (
    select
        initiative_key,
        project_no,
        report_fiscal_year,
        org_ordinal,
        nullif(trim(case
            when org_ordinal <= len(departments) then departments[org_ordinal]
            when len(departments) = 1 then departments[1]
        end), '') as department,
        nullif(trim(case
            when org_ordinal <= len(divisions) then divisions[org_ordinal]
            when len(divisions) = 1 then divisions[1]
        end), '') as division
    from positions
)

select
    initiative_key,
    {{ dxplan_key(['department', 'division']) }} as organisation_key,
    project_no,
    report_fiscal_year,
    org_ordinal,
    department,
    division
from paired
