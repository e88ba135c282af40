{#-
  The rows of a staged table (`relation`, a stg_ model with a load_id) that belong to
  the current load of their report year (int_current_loads). Older versions of a
  re-issued report stay in staging, never in the marts. Use as a relation:
    from {{ of_current_loads(ref('stg_kpis')) }} as k
-#}
{% macro of_current_loads(relation) -%}
(
    select * from {{ relation }}
    where load_id in (select load_id from {{ ref('int_current_loads') }})
)
{%- endmacro %}

{#-
  The three columns that "the latest report wins" dimensions (dim_initiative, dim_kpi)
  derive from a member's rows, one row per report: recency (1 = latest report),
  first_report_fiscal_year and report_count.
-#}
{% macro report_history(member) -%}
    row_number() over (partition by {{ member }} order by report_fiscal_year desc) as recency,
    min(report_fiscal_year) over (partition by {{ member }}) as first_report_fiscal_year,
    count(*) over (partition by {{ member }}) as report_count
{%- endmacro %}

{#-
  How a 再掲 reference was resolved: 'printed' when the report printed it (`printed`
  not NULL), else `inferred_as` when the rule found one (`inferred` not NULL), else
  'unresolved'. Used for projects (int_report_rows) and KPIs (int_row_kpis).
-#}
{% macro resolution(printed, inferred, inferred_as) -%}
    case
        when {{ printed }} is not null then 'printed'
        when {{ inferred }} is not null then '{{ inferred_as }}'
        else 'unresolved'
    end
{%- endmacro %}
