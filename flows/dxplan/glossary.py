"""The Japanese names of the marts: ``dbt_project/seeds/glossary.csv``, their one source.

The dbt hook ``create_japanese_views`` (``dbt_project/macros/japanese_views.sql``) makes
schema ``marts_ja`` from it on every build; the exports' ``csv_ja/`` headers and the
PostgreSQL copy read those views; the PostgreSQL view comments and docs/BI.md come from
the same file. Format (one row per name):

* ``table_name``: a table of schema ``marts``, or ``*`` for every table;
* ``column_name``: the English column; empty on the row that names the table (and so
  makes its ``marts_ja`` view);
* ``ja_name``: the Japanese name; ``description``: the view's comment (table rows);
* ``expression``: on a derived column only, SQL over ``column_name`` added as ``ja_name``.

A table's own row wins over the ``*`` row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

GLOSSARY_CSV = Path("seeds") / "glossary.csv"  # inside the dbt project
MACROS = Path("macros") / "japanese_views.sql"
EVERY_TABLE = "*"


@dataclass(frozen=True)
class Entry:
    table_name: str
    column_name: str  # "" on a table's own row
    ja_name: str
    description: str = ""
    expression: str = ""  # derived columns only


def read_glossary(project_dir: Path) -> list[Entry]:
    with (Path(project_dir) / GLOSSARY_CSV).open(encoding="utf-8", newline="") as f:
        return [Entry(**{k: (v or "") for k, v in row.items()}) for row in csv.DictReader(f)]


def views(entries: list[Entry]) -> dict[str, Entry]:
    """marts table -> its row: the tables that get a ``marts_ja`` view."""
    return {e.table_name: e for e in entries if not e.column_name and e.table_name != EVERY_TABLE}


def ja_name(entries: list[Entry], table: str, column: str) -> str | None:
    """The Japanese name of ``table.column`` (its own row, else the ``*`` row), or None."""
    found = {
        e.table_name: e.ja_name
        for e in entries
        if e.column_name == column and not e.expression and e.table_name in (table, EVERY_TABLE)
    }
    return found.get(table) or found.get(EVERY_TABLE)


def view_selects(con, project_dir: Path, source_schema: str = "marts") -> dict[str, str]:
    """view name -> its SELECT over the ``source_schema`` tables of ``con`` (a DuckDB
    connection): the query the dbt hook runs, rendered from the same macro."""
    import jinja2

    project_dir = Path(project_dir).resolve()
    macros = (project_dir / MACROS).read_text(encoding="utf-8")
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(macros)
    query = template.module.japanese_view_selects(
        str(project_dir / GLOSSARY_CSV), source_schema=source_schema
    )
    return dict(con.execute(str(query)).fetchall())


def create_views(con, project_dir: Path, schema: str = "marts_ja") -> list[str]:
    """Create the ``marts_ja`` views in ``con`` as the dbt hook does (for files built
    without dbt); returns their names."""
    selects = view_selects(con, project_dir)
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for name, select in selects.items():
        con.execute(f'CREATE OR REPLACE VIEW "{schema}"."{name}" AS {select}')
    return sorted(selects)
