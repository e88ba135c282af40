-- 評価と数値の照合 (printed evaluation against the numbers): KPI × report. Whether the
-- report year's actual meets its target, read with the target's comparator (以上, 超,
-- 以下, 未満; ほぼ within the tolerance var `dxplan_approximately_tolerance`) and
-- otherwise with the KPI's direction (less is better for `decrease`); and a flag
-- where the printed evaluation says otherwise: 達成 with the target missed, or
-- 一部達成 / 未達成 with the target met. NULL where a number is missing.
with progress as (
    select * from {{ ref('mart_kpi_progress') }}
),

checked as (
    select
        *,
        case
            when target_value is null or actual_value is null then null
            when target_comparator = 'at_least' then actual_value >= target_value
            when target_comparator = 'more_than' then actual_value > target_value
            when target_comparator = 'at_most' then actual_value <= target_value
            when target_comparator = 'less_than' then actual_value < target_value
            when target_comparator = 'approximately'
                and abs(actual_value - target_value)
                    <= {{ var('dxplan_approximately_tolerance') }} * abs(target_value) then true
            when direction = 'decrease' then actual_value <= target_value
            when direction in ('increase', 'maintain') then actual_value >= target_value
        end as target_met
    from progress
),

flagged as (
    select
        *,
        case
            when evaluation_code is null or target_met is null then null
            when evaluation_code = 'achieved' and not target_met then 'achieved_but_target_missed'
            when evaluation_code = 'partially_achieved' and target_met
                then 'partially_achieved_but_target_met'
            when evaluation_code = 'not_achieved' and target_met then 'not_achieved_but_target_met'
        end as disagreement
    from checked
)

select
    {{ dxplan_key(['kpi_no', 'report_fiscal_year']) }} as kpi_evaluation_check_key,
    kpi_no,
    report_fiscal_year,
    direction,
    target_value,
    target_text,
    target_comparator,
    actual_value,
    actual_text,
    achievement_rate,
    evaluation,
    evaluation_code,
    target_met,
    case when evaluation_code is not null and target_met is not null
         then disagreement is null end as evaluation_agrees,
    disagreement,
    case disagreement
        when 'achieved_but_target_missed'
            then '評価は「達成」ですが、実績が目標に届いていません'
        when 'partially_achieved_but_target_met'
            then '評価は「一部達成」ですが、実績は目標を満たしています'
        when 'not_achieved_but_target_met'
            then '評価は「未達成」ですが、実績は目標を満たしています'
    end as disagreement_note
from flagged
order by report_fiscal_year, kpi_no
