-- 目標値の改定履歴 (KPI target history, SCD type 2): one row per version of the
-- target of one KPI for one fiscal year, over every published load (superseded
-- loads of re-issued report years included). A version starts with the first
-- publication of a target and ends (valid_to_report, exclusive) with the next
-- publication that prints a different number or comparator. Computed from staging
-- on each build (not a dbt snapshot: the warehouse file is rebuilt on each run, so
-- snapshot state would be lost, while staging keeps every load).
--
-- "What was the FY2025 target as published in FY2023, and what is it now?":
--   select kpi_no,
--          max(target_value) filter (where valid_from_report <= 2023
--              and (valid_to_report is null or valid_to_report > 2023)) as published_2023,
--          max(target_value) filter (where is_current) as current_target
--   from marts.kpi_target_history where fiscal_year = 2025 group by kpi_no;
with publications as (
    select
        *,
        -- what counts as a revision: another number or comparator; text only
        -- matters when there is no number (so re-spaced text is not a revision)
        coalesce('v:' || cast(target_value as varchar), 't:' || target_text, '-')
            || chr(31) || coalesce(target_comparator, '-') as target_signature
    from {{ ref('int_kpi_target_publications') }}
),

flagged as (
    select
        *,
        coalesce(
            target_signature <> lag(target_signature) over (
                partition by kpi_no, fiscal_year order by publication_seq),
            true
        ) as starts_version
    from publications
),

numbered as (
    select
        *,
        sum(case when starts_version then 1 else 0 end) over (
            partition by kpi_no, fiscal_year order by publication_seq
            rows between unbounded preceding and current row
        ) as version_no
    from flagged
),

versions as (
    select
        kpi_no,
        kpi_key,
        fiscal_year,
        cast(version_no as integer) as version_no,
        min(publication_seq) as first_publication_seq,
        -- the values of a version are those of its first publication
        arg_min(target_value, publication_seq) as target_value,
        arg_min(target_text, publication_seq) as target_text,
        arg_min(target_comparator, publication_seq) as target_comparator,
        arg_min(report_fiscal_year, publication_seq) as valid_from_report,
        max(report_fiscal_year) as last_published_report,
        count(distinct report_fiscal_year) as published_report_count,
        bool_or(load_is_current and report_fiscal_year = latest_report_fiscal_year)
            as is_in_latest_report
    from numbered
    group by kpi_no, kpi_key, fiscal_year, version_no
),

chained as (
    select
        *,
        lead(valid_from_report) over (
            partition by kpi_no, fiscal_year order by version_no) as valid_to_report
    from versions
)

select
    {{ dxplan_key(['kpi_no', 'fiscal_year', 'version_no']) }} as kpi_target_version_key,
    kpi_key,
    kpi_no,
    fiscal_year,
    version_no,
    target_value,
    target_text,
    target_comparator,
    valid_from_report,
    valid_to_report,
    valid_to_report is null as is_current,
    coalesce(valid_to_report = valid_from_report, false) as is_replaced_by_reissue,
    last_published_report,
    published_report_count,
    is_in_latest_report
from chained
order by kpi_no, fiscal_year, version_no
