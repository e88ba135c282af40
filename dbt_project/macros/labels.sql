{# evaluation_code: the contract's English code for the report's own word. #}
{% macro evaluation_code(evaluation) -%}
    case {{ evaluation }}
        when '達成' then 'achieved'
        when '一部達成' then 'partially_achieved'
        when '未達成' then 'not_achieved'
    end
{%- endmacro %}

{#
  Wareki (和暦) label of a fiscal year (Gregorian start year, April–March).
  A fiscal year takes the era in force on its first day except that FY2019
  is 令和元年度 (as the prefecture writes it; Reiwa began 2019-05-01):
    令和N年度 = 2018 + N, 平成N年度 = 1988 + N, 昭和N年度 = 1925 + N. Year 1 is 元.
#}
{% macro wareki_era(fiscal_year) -%}
    case when {{ fiscal_year }} >= 2019 then '令和'
         when {{ fiscal_year }} >= 1989 then '平成'
         else '昭和' end
{%- endmacro %}

{% macro wareki_era_year(fiscal_year) -%}
    ({{ fiscal_year }} - case when {{ fiscal_year }} >= 2019 then 2018
                              when {{ fiscal_year }} >= 1989 then 1988
                              else 1925 end)
{%- endmacro %}

{% macro wareki_label(fiscal_year) -%}
    {{ wareki_era(fiscal_year) }}
    || case when {{ wareki_era_year(fiscal_year) }} = 1 then '元'
            else cast({{ wareki_era_year(fiscal_year) }} as varchar) end
    || '年度'
{%- endmacro %}
