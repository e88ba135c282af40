-- 評価 (evaluation labels): one row per evaluation the report prints, plus the row
-- for "no evaluation" (evaluation_code NULL), with the Japanese label a reader sees,
-- the English label and the order in which reports and dashboards list them.
with words as (
    select * from (values
        ('達成', 1),
        ('一部達成', 2),
        ('未達成', 3),
        (cast(null as varchar), 4)
    ) as t(evaluation, sort_order)
)

select
    {{ dxplan_key(['evaluation']) }} as evaluation_key,
    {{ evaluation_code('evaluation') }} as evaluation_code,
    evaluation,
    coalesce(evaluation, '評価なし') as label_ja,
    coalesce(replace({{ evaluation_code('evaluation') }}, '_', ' '), 'not evaluated') as label_en,
    {{ evaluation_code('evaluation') }} in ('partially_achieved', 'not_achieved') as is_behind_target,
    cast(sort_order as integer) as sort_order
from words
order by sort_order
