{#
  achievement_rate (達成率), as the warehouse contract defines it:
    increase / maintain: actual ÷ target
    decrease           : target ÷ actual   (less is better)
  1.0 = 100 %. NULL when
    - either number is missing or not numeric (the parser leaves *_value NULL),
    - the target is 0 (a ratio to a zero target is undefined; this also covers
      decrease KPIs whose target is 0),
    - a decrease KPI's actual is 0 (division by zero),
    - the direction is unknown.
  Comparators (以上 at_least, 以下 at_most, ほぼ approximately ...) never change the
  arithmetic: the number printed is used as is, the qualifier stays in the
  *_comparator column.
#}
{% macro achievement_rate(direction, target_value, actual_value) -%}
    case
        when {{ target_value }} is null or {{ actual_value }} is null then null
        when {{ target_value }} = 0 then null
        when {{ direction }} = 'decrease' then
            case when {{ actual_value }} = 0 then null
                 else cast({{ target_value }} as double) / {{ actual_value }} end
        when {{ direction }} in ('increase', 'maintain') then
            cast({{ actual_value }} as double) / {{ target_value }}
        else null
    end
{%- endmacro %}

{#
  progress_to_final (最終目標への進捗): (actual − baseline) ÷ (final target − baseline),
  the share of the way from the baseline to the plan's last target. Works for
  both directions (for a decrease KPI numerator and denominator are both
  negative). NULL when any number is missing or the final target equals the
  baseline (no distance to cover).
#}
{% macro progress_to_final(actual_value, baseline_value, final_target_value) -%}
    case
        when {{ actual_value }} is null
          or {{ baseline_value }} is null
          or {{ final_target_value }} is null then null
        when {{ final_target_value }} = {{ baseline_value }} then null
        else (cast({{ actual_value }} as double) - {{ baseline_value }})
             / ({{ final_target_value }} - {{ baseline_value }})
    end
{%- endmacro %}
