{#-
  Schema `marts_ja`: one view per table listed in seeds/glossary.csv (a row with no
  column_name), with the rows of `marts.<table>` and Japanese column names.

  seeds/glossary.csv is the one source of the Japanese names (read here by DuckDB, not
  loaded as a dbt seed, so the warehouse gets no extra table):
    table_name  a marts table, or * for every table
    column_name the English column; empty on the row that names the table itself
    ja_name     the Japanese name (of the table, or of the column)
    description the view's comment (table rows only)
    expression  set on a derived column: a SQL expression over `column_name`, added as
                `ja_name` after the renamed columns wherever the table has that column
  A table's own row wins over the * row. Columns are read from the database when the
  views are made, so new or dropped mart columns never break a view (a column not in the
  glossary keeps its English name). Every column is listed (no SELECT * / RENAME): older
  DuckDB readers can open the file. The views name no catalog: the file can be renamed.
-#}

{#- One row per view: (view_name, select_sql). Plain DuckDB SQL, so a process without dbt
    can run the same query (tests/bi/conftest.py renders this macro with Jinja2). -#}
{% macro japanese_view_selects(glossary_csv, source_schema='marts') -%}
with glossary as (
    select * from read_csv('{{ glossary_csv | replace("'", "''") }}', header = true,
        columns = {'table_name': 'varchar', 'column_name': 'varchar', 'ja_name': 'varchar',
                   'description': 'varchar', 'expression': 'varchar'})
),
views as (
    select table_name from glossary where column_name is null and table_name <> '*'
),
columns as (
    select c.table_name, c.column_name, c.ordinal_position
    from information_schema.columns as c
    join views using (table_name)
    where c.table_schema = '{{ source_schema }}' and c.table_catalog = current_database()
),
renamed as (
    select columns.table_name, columns.ordinal_position as position,
           '"' || replace(columns.column_name, '"', '""') || '" as "'
               || replace(coalesce(own.ja_name, every.ja_name, columns.column_name), '"', '""')
               || '"' as item
    from columns
    left join glossary as own
        on own.table_name = columns.table_name and own.column_name = columns.column_name
       and own.expression is null
    left join glossary as every
        on every.table_name = '*' and every.column_name = columns.column_name
       and every.expression is null
),
derived as (
    select columns.table_name, 100000 + columns.ordinal_position as position,
           d.expression || ' as "' || replace(d.ja_name, '"', '""') || '"' as item
    from columns
    join glossary as d
        on d.expression is not null and d.column_name = columns.column_name
       and d.table_name in ('*', columns.table_name)
)
select table_name as view_name,
       'select ' || string_agg(item, ', ' order by position)
           || ' from "{{ source_schema }}"."' || table_name || '"' as select_sql
from (select * from renamed union all select * from derived)
group by table_name
order by table_name
{%- endmacro %}

{#- on-run-end: the SQL that (re)creates every marts_ja view in one go (one hook instead of
    a model per view); dbt runs it. Empty when the build made no marts (e.g.
    `dbt test --select test_type:unit` on an empty file). -#}
{% macro create_japanese_views(target_schema='marts_ja') -%}
{%- if execute %}
{%- set glossary = (invocation_args_dict.get('project_dir') or '.') ~ '/seeds/glossary.csv' %}
{%- set rows = run_query(japanese_view_selects(glossary)).rows %}
{%- if rows | length > 0 %}
create schema if not exists {{ target_schema }};
{%- for view_name, select_sql in rows %}
create or replace view {{ target_schema }}."{{ view_name }}" as {{ select_sql }};
{%- endfor %}
{%- endif %}
{%- endif %}
{%- endmacro %}
