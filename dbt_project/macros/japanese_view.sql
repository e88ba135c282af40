{#-
  Body of a marts_ja view: every column of `source` in its order, renamed by `names`
  (others keep their English name), plus `derived` columns given as
  (name, column it needs, SQL expression). Columns are read when dbt runs, so new or
  dropped mart columns never break the view; they are listed explicitly (no SELECT * /
  RENAME) so older DuckDB readers can open the file.
-#}
{% macro japanese_view(source, names, derived=[]) -%}
select
{%- if execute %}
{%- set columns = adapter.get_columns_in_relation(source) | map(attribute='name') | list %}
{%- for column in columns %}
    {{ adapter.quote(column) }} as {{ adapter.quote(names.get(column, column)) }}{{ ',' if not loop.last }}
{%- endfor %}
{%- for name, needs, expression in derived if needs in columns %},
    {{ expression }} as {{ adapter.quote(name) }}
{%- endfor %}
{%- else %}
    *
{%- endif %}
from {{ source }}
{%- endmacro %}
