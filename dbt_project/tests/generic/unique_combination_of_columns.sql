{#
  The grain test: no two rows share the combination of `combination_of_columns`
  (NULLs compare equal, so a NULL item_no cannot hide a duplicate), and - unless
  listed in `nullable` - none of those columns is NULL. One query instead of a
  uniqueness test plus one not_null test per grain column, which keeps
  `dbt build` fast. Own version because the project uses no packages (no dbt deps).
#}
{% test unique_combination_of_columns(model, combination_of_columns, nullable=[]) %}
{%- set required = [] -%}
{%- for col in combination_of_columns if col not in nullable -%}
    {%- do required.append(col) -%}
{%- endfor %}
select 'duplicate' as problem, {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{%- if required %}
union all
select 'null in grain' as problem, {{ combination_of_columns | join(', ') }}, 1 as n_rows
from {{ model }}
where {% for col in required %}{{ col }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{%- endif %}
{% endtest %}
