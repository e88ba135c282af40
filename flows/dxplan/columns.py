"""Column definitions: where a record's column is declared, once.

Every field of a record type in :mod:`dxplan.models` carries ``col(...)`` in its
dataclass metadata: the DuckDB type of its staging column, whether that column may be
NULL, what the value means, and its header in the canonical CSV/XLSX file. From these
definitions follow

- the staging tables: DDL, inserts by column name, expected column types
  (:mod:`dxplan.schema`);
- the canonical file's columns and how a cell is written and read back
  (:mod:`dxplan.parse.canonical`).

This module only describes columns; it imports nothing of dxplan.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

#: the dataclass metadata key of a column definition
META_KEY = "dxplan"

#: how a field is stored
VALUE = "value"  # one value, one column
JOINED = "joined"  # list[str], one column of the values joined with '|' in printed order
REPAIRS = "repairs"  # list[Repair]: columns repair_count and repairs_json (a JSON list)
CHILDREN = "children"  # a list of child records, staged in a table of their own
KINDS = (VALUE, JOINED, REPAIRS, CHILDREN)

SQL_TYPES = ("VARCHAR", "INTEGER", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP")

_SAME = "<same>"  # canonical header: the staging column's name


@dataclass(frozen=True)
class Column:
    """One column of a staging table."""

    name: str
    sql_type: str
    nullable: bool = True
    doc: str = ""


@dataclass(frozen=True)
class ColumnDef:
    """The declaration of one record field (see :func:`col`)."""

    sql_type: str | None
    doc: str
    nullable: bool = True
    name: str | None = None  # staging column; default: the field's name
    canonical: str | None = _SAME  # header in the canonical file; None: not in the file
    kind: str = VALUE
    choices: tuple[str, ...] = ()  # allowed values (read back from a canonical file)
    empty: Any = None  # the value of an empty canonical cell
    required: bool = False  # a canonical cell that must not be empty
    #: the report column (a layout role, rules/layout.yaml) whose cleaned text this field
    #: holds, for a text field the parser fills from its own cell
    role: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == CHILDREN:
            if self.sql_type is not None:
                raise ValueError("a field of child records has no column type")
        elif self.sql_type not in SQL_TYPES:
            raise ValueError(f"sql_type must be one of {SQL_TYPES}, not {self.sql_type!r}")
        object.__setattr__(self, "choices", tuple(self.choices))  # a dict gives its keys


def col(sql_type: str | None, doc: str, **options: Any) -> dict[str, ColumnDef]:
    """Dataclass field metadata declaring a column: ``field(metadata=col("INTEGER", "..."))``.

    ``sql_type`` is the DuckDB type of the staging column (None for ``kind=CHILDREN``),
    ``doc`` says what the value means; ``options`` are the other :class:`ColumnDef`
    fields: ``nullable=False`` makes the column ``NOT NULL``, ``name`` renames it,
    ``canonical`` is its canonical-file header (None: not in the file), ``kind``,
    ``choices``, ``empty`` and ``required`` say how it is stored and read back.
    """
    return {META_KEY: ColumnDef(sql_type, doc, **options)}


@dataclass(frozen=True)
class FieldDef:
    """A record field with its declaration, resolved."""

    field: str  # the dataclass field
    definition: ColumnDef
    python_type: type  # int, float, bool, str, date, datetime or list (None removed)

    @property
    def kind(self) -> str:
        return self.definition.kind

    @property
    def columns(self) -> tuple[Column, ...]:
        """The staging columns this field is stored in (none for child records)."""
        d = self.definition
        name = d.name or self.field
        if d.kind == CHILDREN:
            return ()
        if d.kind == REPAIRS:
            return (
                Column("repair_count", "INTEGER", False, f"number of {d.doc}"),
                Column("repairs_json", "VARCHAR", True, f"{d.doc} as a JSON list"),
            )
        assert d.sql_type is not None
        return (Column(name, d.sql_type, d.nullable, d.doc),)

    @property
    def canonical(self) -> str | None:
        """Header of the field's column in the canonical file, or None."""
        d = self.definition
        if d.kind == CHILDREN:
            return None
        if d.canonical != _SAME:
            return d.canonical
        return self.field if d.kind == REPAIRS else (d.name or self.field)


def _base_type(hint: Any) -> type:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"a column holds one type, not {hint}")
        hint = args[0]
    origin = typing.get_origin(hint)
    if origin is not None:
        return origin
    if hint in (int, float, bool, str, date, datetime):
        return hint
    raise TypeError(f"no column type for {hint}")


@cache
def fields_of(record: type) -> tuple[FieldDef, ...]:
    """The declared fields of a record dataclass, in field order.

    Raises TypeError naming the field when one has no ``col(...)`` metadata: every
    field of a record is a column (or a list of child records).
    """
    hints = typing.get_type_hints(record)
    out = []
    for f in dataclasses.fields(record):
        d = f.metadata.get(META_KEY)
        if not isinstance(d, ColumnDef):
            raise TypeError(f"{record.__name__}.{f.name} has no column definition (col(...))")
        out.append(FieldDef(f.name, d, _base_type(hints[f.name])))
    return tuple(out)


def text_fields(record: type) -> tuple[tuple[str, str], ...]:
    """``(field, role)`` of the record's fields that hold a report column's text as it
    is printed (cleaned), in field order."""
    return tuple((f.field, f.definition.role) for f in fields_of(record) if f.definition.role)


def columns_of(record: type) -> tuple[Column, ...]:
    """The staging columns of a record, in field order."""
    return tuple(c for f in fields_of(record) for c in f.columns)
