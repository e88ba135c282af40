{#
  Surrogate key: md5 over the natural key columns, each cast to VARCHAR.
  NULL-safe: a NULL column hashes as a fixed placeholder that no real value
  uses, and columns are joined with the ASCII unit separator (chr(31)), which
  never occurs in normalised report text, so ('1', '23') and ('12', '3') differ.
  The key depends only on the natural key values, never on load ids, load
  order or row numbers, so it is stable across reloads and rebuilds.
#}
{% macro dxplan_key(columns) -%}
    md5(
    {%- for col in columns %}
        coalesce(cast({{ col }} as varchar), '<null>')
        {%- if not loop.last %} || chr(31) || {% endif %}
    {%- endfor %}
    )
{%- endmacro %}
