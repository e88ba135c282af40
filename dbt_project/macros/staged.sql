{#-
  Body of a stg_ model: the columns its yml lists, in that order, each cast to its
  `data_type` and read from the source column of the same name (or from
  `meta.source_column` where the model renames it), then every other column of the
  source as it is, in the source's order (`* exclude` of the listed source columns).
  Nothing else: no filter, no join. The staging DDL (dxplan.schema, from the record
  definitions in dxplan.models) types and describes every source column, so a new
  record field reaches the stg_ model without a line here or in its yml; the yml names,
  types, renames and tests the columns the models below rely on.
  Where the yml lists every source column, the exclude list is the whole source: DuckDB
  then expands `*` to nothing, and the listed columns are all there is.
-#}
{% macro staged(relation) -%}
select
{%- if execute %}
{%- for column in model.columns.values() %}
    cast({{ column.meta.get('source_column', column.name) }} as {{ column.data_type }}) as {{ column.name }},
{%- endfor %}
    * exclude (
        {%- for column in model.columns.values() -%}
        {{ column.meta.get('source_column', column.name) }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- else %}
    *
{%- endif %}
from {{ relation }}
{%- endmacro %}
