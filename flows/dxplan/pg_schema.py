"""What a PostgreSQL copy of the marts looks like: types, keys and comments.

Pure functions over two inputs: the DuckDB catalogue of the published warehouse
(``duckdb_columns()``: names and types in column order) and the dbt project's docs
(``models/**/*.yml`` and the ``{% docs %}`` blocks of ``models/**/*.md``; the ``marts_ja``
views' comments from ``seeds/glossary.csv``). The yml is
read directly (no dbt import, no manifest needed): the same descriptions dbt renders into
its docs site, and the same tests dbt ran before the warehouse was published.

Keys come from those tests and from the columns' enforced contract constraints
(``not_null``, ``unique``, ``primary_key``; a build whose data breaks them is never published):

* primary key: the surrogate key (a ``*_key`` column with ``unique`` and ``not_null``);
  without one, the grain (``unique_combination_of_columns`` with no nullable column);
  else the first column tested ``unique`` and ``not_null``;
* unique constraints: every other such column or grain (``NULLS NOT DISTINCT`` where
  the grain names nullable columns, as the dbt test groups NULLs together).

Tests with ``severity: warn`` or a ``where`` filter guarantee nothing and are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dxplan import glossary

#: DuckDB type (``duckdb_columns().data_type``) -> PostgreSQL type; the same name is the
#: psycopg type name used for binary COPY
SCALAR_TYPES: dict[str, str] = {
    "VARCHAR": "text",
    "DOUBLE": "float8",
    "FLOAT": "float4",
    "BOOLEAN": "bool",
    "TINYINT": "int2",
    "SMALLINT": "int2",
    "INTEGER": "int4",
    "BIGINT": "int8",
    "UTINYINT": "int2",
    "USMALLINT": "int4",
    "UINTEGER": "int8",
    "UBIGINT": "numeric",
    "HUGEINT": "numeric",
    "UHUGEINT": "numeric",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


class UnsupportedType(ValueError):
    """A DuckDB column type with no faithful PostgreSQL counterpart here."""


def pg_type(duckdb_type: str) -> str:
    """PostgreSQL type for a DuckDB type; lists become arrays (``VARCHAR[]`` -> ``text[]``)."""
    t = duckdb_type.strip().upper()
    if t.endswith("[]"):
        inner = pg_type(t[:-2])
        if inner.endswith("[]"):
            raise UnsupportedType(f"nested list type {duckdb_type}")
        return inner + "[]"
    if t in SCALAR_TYPES:
        return SCALAR_TYPES[t]
    m = _DECIMAL.match(t)
    if m:
        return f"numeric({m.group(1)},{m.group(2)})"
    raise UnsupportedType(f"no PostgreSQL type for DuckDB type {duckdb_type}")


def copy_type(pg: str) -> str:
    """The psycopg type name for binary COPY of a column of PostgreSQL type ``pg``."""
    return "numeric" if pg.startswith("numeric(") else pg


# --------------------------------------------------------------------------- dbt docs


@dataclass
class ModelDoc:
    """What the dbt yml says about one model (by its relation name)."""

    name: str
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # column -> description
    unique_not_null: list[str] = field(default_factory=list)  # single-column keys, in order
    unique_only: list[str] = field(default_factory=list)  # unique, NULLs allowed
    grains: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)  # (cols, nullable?)


@dataclass(frozen=True)
class Keys:
    primary: tuple[str, ...]
    unique: tuple[tuple[tuple[str, ...], bool], ...]  # (columns, nulls_not_distinct)


_DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.S)
_DOC_REF = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")


def read_doc_blocks(models_dir: Path) -> dict[str, str]:
    blocks: dict[str, str] = {}
    for md in sorted(models_dir.rglob("*.md")):
        for name, body in _DOC_BLOCK.findall(md.read_text(encoding="utf-8")):
            blocks[name] = body.strip()
    return blocks


def render_description(text: str | None, blocks: dict[str, str]) -> str:
    """A yml description with its ``{{ doc('…') }}`` references filled in."""
    if not text:
        return ""
    return _DOC_REF.sub(lambda m: blocks.get(m.group(1), m.group(0)), str(text)).strip()


def _test_name_and_args(test) -> tuple[str, dict, dict]:
    """(name, arguments, config) of one entry of a ``data_tests``/``tests`` list."""
    if isinstance(test, str):
        return test, {}, {}
    if isinstance(test, dict) and len(test) == 1:
        name, body = next(iter(test.items()))
        body = body or {}
        config = dict(body.get("config") or {})
        for key in ("severity", "where"):
            if key in body:
                config[key] = body[key]
        args = body.get("arguments")
        if args is None:
            args = {k: v for k, v in body.items() if k not in ("config", "severity", "where")}
        return str(name), dict(args or {}), config
    return "", {}, {}


def _binding(config: dict) -> bool:
    """A test that fails the build when it fails, over all rows."""
    return str(config.get("severity", "error")).lower() != "warn" and not config.get("where")


def _model_doc(model: dict, blocks: dict[str, str]) -> ModelDoc:
    config = model.get("config") or {}
    name = str(config.get("alias") or model["name"])
    doc = ModelDoc(name=name, description=render_description(model.get("description"), blocks))
    for col in model.get("columns") or []:
        cname = str(col["name"])
        doc.columns[cname] = render_description(col.get("description"), blocks)
        tests = {}
        for test in (col.get("data_tests") or []) + (col.get("tests") or []):
            tname, _, tconfig = _test_name_and_args(test)
            if _binding(tconfig):
                tests[tname] = True
        for constraint in col.get("constraints") or []:  # enforced by the build itself
            ctype = str(constraint.get("type", ""))
            for implied in ("unique", "not_null") if ctype == "primary_key" else (ctype,):
                tests[implied] = True
        if tests.get("unique") and tests.get("not_null"):
            doc.unique_not_null.append(cname)
        elif tests.get("unique"):
            doc.unique_only.append(cname)
    for test in (model.get("data_tests") or []) + (model.get("tests") or []):
        tname, args, tconfig = _test_name_and_args(test)
        if tname.split(".")[-1] != "unique_combination_of_columns" or not _binding(tconfig):
            continue
        cols = tuple(str(c) for c in args.get("combination_of_columns") or ())
        nullable = {str(c) for c in args.get("nullable") or ()}
        if cols:
            doc.grains.append((cols, bool(nullable & set(cols))))
    return doc


def read_dbt_docs(project_dir: Path) -> dict[str, ModelDoc]:
    """Relation name -> its docs, for every model in ``project_dir/models``. Models in
    different schemas may share a name (``marts.dim_kpi`` and the ``marts_ja`` view
    aliased ``dim_kpi``): the key is ``"<folder>/<name>"`` and also the bare model name."""
    import yaml  # here: the CLI's no-op check imports this module's neighbours

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster
    models_dir = Path(project_dir) / "models"
    blocks = read_doc_blocks(models_dir)
    docs: dict[str, ModelDoc] = {}
    for yml in sorted(models_dir.rglob("*.yml")):
        data = yaml.load(yml.read_text(encoding="utf-8"), Loader=loader) or {}
        for model in data.get("models") or []:
            doc = _model_doc(model, blocks)
            doc.name = _sql_alias(yml.parent, str(model["name"])) or doc.name
            folder = yml.parent.relative_to(models_dir).as_posix()
            docs[f"{folder}/{doc.name}"] = doc
            docs.setdefault(str(model["name"]), doc)
    # the marts_ja views are made by a dbt hook from the glossary, not by models
    if (Path(project_dir) / glossary.GLOSSARY_CSV).exists():
        for table, entry in glossary.views(glossary.read_glossary(project_dir)).items():
            docs[f"marts_ja/{table}"] = ModelDoc(name=table, description=entry.description)
    return docs


_ALIAS = re.compile(r"config\s*\((?:[^()]|\([^()]*\))*?\balias\s*=\s*['\"](\w+)['\"]", re.S)


def _sql_alias(folder: Path, model: str) -> str | None:
    """``alias`` set in the model's own ``{{ config(...) }}`` (the relation's name)."""
    for sql_file in folder.rglob(f"{model}.sql"):
        m = _ALIAS.search(sql_file.read_text(encoding="utf-8"))
        if m:
            return m.group(1)
    return None


def keys_for(doc: ModelDoc | None, columns: list[str]) -> Keys:
    """Primary key and unique constraints of a table with ``columns`` (see module doc);
    keys naming a column the table does not have are dropped."""
    if doc is None:
        return Keys(primary=(), unique=())
    present = set(columns)
    singles = [c for c in doc.unique_not_null if c in present]
    grains = [(cols, nullable) for cols, nullable in doc.grains if set(cols) <= present]
    surrogate = [c for c in singles if c.endswith("_key")]
    strict_grains = [cols for cols, nullable in grains if not nullable]
    if surrogate:
        primary: tuple[str, ...] = (surrogate[0],)
    elif strict_grains:
        primary = strict_grains[0]
    elif singles:
        primary = (singles[0],)
    else:
        primary = ()
    unique: list[tuple[tuple[str, ...], bool]] = []
    for cols in [(c,) for c in singles] + [cols for cols, _ in grains]:
        nullable = next((n for g, n in grains if g == cols), False)
        if cols != primary and (cols, nullable) not in unique:
            unique.append((cols, nullable))
    for c in doc.unique_only:
        if c in present and ((c,), False) not in unique:
            unique.append(((c,), False))
    return Keys(primary=primary, unique=tuple(unique))
