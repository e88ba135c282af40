{#-
  Body of a stg_ model: the columns its yml lists, in that order, each cast to its
  `data_type` and read from the source column of the same name (or from
  `meta.source_column` where the model renames it). Nothing else: no filter, no join.
  The yml is the one place a staged column is named, typed and described.
-#}
{% macro staged(relation) -%}
select
{%- if execute %}
{%- for column in model.columns.values() %}
    cast({{ column.meta.get('source_column', column.name) }} as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}
{%- else %}
    *
{%- endif %}
from {{ relation }}
{%- endmacro %}
