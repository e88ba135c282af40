{#
  Custom schemas are used verbatim: `+schema: marts` builds into schema `marts`
  (dbt's default would be `main_marts`). Models without a custom schema go to
  the target schema (`main`); in this project those are ephemeral, so nothing
  is created there.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
