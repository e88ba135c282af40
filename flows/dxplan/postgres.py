"""Publish the marts to PostgreSQL as well (``DXPLAN_POSTGRES_URL`` / ``--postgres-url``).

After each DuckDB publish, every table of schema ``marts`` and every view of ``marts_ja``
in the published warehouse is copied to PostgreSQL and swapped in atomically:

1. one transaction loads fresh schemas ``marts__new_<run>`` / ``marts_ja__new_<run>``:
   tables with PostgreSQL types matching DuckDB's (:mod:`dxplan.pg_schema`), rows by
   binary ``COPY … FROM STDIN`` (psycopg 3), primary keys and unique constraints from the
   dbt tests, comments from the dbt docs, the Japanese views, grants to ``dxplan_reader``;
2. the same transaction renames ``marts`` -> ``marts__old_<run>`` and the new schema ->
   ``marts`` (and ``marts_ja``), then commits. Renaming a schema takes no lock on its
   tables, so the commit never waits for readers, and readers never wait for it: a query
   that resolved ``marts.x`` before the commit reads the old table to its end, a query
   after it reads the new one. Nobody sees a half-loaded table or a missing one;
3. the old schemas are dropped in a second transaction with a short ``lock_timeout``
   (a reader still inside the old tables keeps them; they are dropped on the next run).

Failure (server down, refused, a type or key error) never touches the DuckDB publish: it
is returned as a failed :class:`TargetResult`, recorded in ``audit.publish_targets`` and
in the run's ``audit.load_log`` messages, and the CLI exits 3. A small state file next
to the warehouse remembers which published DuckDB file PostgreSQL holds, so the CLI's
no-op fast path knows when a publish is still pending (:func:`pending`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from dxplan import pg_schema

ENV_URL = "DXPLAN_POSTGRES_URL"
#: with this set, ``dxplan_reader`` gets LOGIN with this password (else LOGIN, no password)
ENV_READER_PASSWORD = "DXPLAN_POSTGRES_READER_PASSWORD"
READER_ROLE = "dxplan_reader"
TABLE_SCHEMA, VIEW_SCHEMA = "marts", "marts_ja"
TARGET_NAME = "postgresql"
#: rows per DuckDB fetch while copying
FETCH_ROWS = 20_000
#: how long the drop of the replaced schemas waits for a reader still inside them
DROP_LOCK_TIMEOUT_MS = 200
DROP_ATTEMPTS = 3
#: serialises publishers of different warehouses into the same database
ADVISORY_LOCK_KEY = 0x64787061  # "dxpa"


class TargetError(RuntimeError):
    """The PostgreSQL publish failed; the message says why in one line."""


class BadTarget(ValueError):
    """``DXPLAN_POSTGRES_URL`` / ``--postgres-url`` is not a PostgreSQL URL."""


@dataclass
class TargetResult:
    target: str  # the URL without its password
    status: str  # published | failed
    seconds: float
    message: str = ""
    tables: int = 0
    views: int = 0
    rows: int = 0
    name: str = TARGET_NAME
    started_at: datetime = field(default_factory=datetime.now)


# --------------------------------------------------------------------------- settings


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or parts.path):
        raise BadTarget(f"{ENV_URL} must be a postgresql://user@host:port/database URL, "
                        f"not {redact(url)!r}")
    return url


def target_url() -> str | None:
    url = os.environ.get(ENV_URL, "").strip()
    return check_url(url) if url else None


def redact(url: str) -> str:
    """The URL without its password (for logs, audit rows and the state file)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


@contextlib.contextmanager
def url_override(url: str | None) -> Iterator[None]:
    """``--postgres-url``: the flow reads ``DXPLAN_POSTGRES_URL``; restored afterwards."""
    if not url:
        yield
        return
    check_url(url)
    old = os.environ.get(ENV_URL)
    os.environ[ENV_URL] = url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV_URL, None)
        else:
            os.environ[ENV_URL] = old


# --------------------------------------------------------------------------- pending state


def state_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.postgres.json")


def fingerprint(warehouse: Path) -> str:
    """Identity of the published file: it is never written in place, every publish is a
    new file (inode, size, mtime), so this changes with every DuckDB publish."""
    st = warehouse.stat()
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def pending(warehouse: Path) -> str | None:
    """Why PostgreSQL does not hold the published warehouse yet (``None``: it does, or
    no target is set). Cheap: one stat and one small file, no connection."""
    url = target_url()
    if not url or not warehouse.is_file():
        return None
    try:
        state = json.loads(state_path(warehouse).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"the marts were never published to {redact(url)} from this warehouse"
    if state.get("target") != redact(url):
        return f"the PostgreSQL target changed to {redact(url)}"
    if state.get("build") != fingerprint(warehouse):
        return f"the latest publish has not reached {redact(url)} yet"
    return None


def _write_state(warehouse: Path, url: str, run_id: str) -> None:
    path = state_path(warehouse)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({
        "target": redact(url), "build": fingerprint(warehouse), "run_id": run_id,
        "published_at": datetime.now().isoformat(timespec="seconds"),
    }), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str
    pg_type: str


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    columns: tuple[Column, ...]
    sql: str = ""  # views: DuckDB's CREATE VIEW statement


def read_catalogue(con: duckdb.DuckDBPyConnection) -> tuple[list[Relation], list[Relation]]:
    """(tables of ``marts``, views of ``marts_ja``) of the open DuckDB warehouse."""
    cols: dict[tuple[str, str], list[Column]] = {}
    for schema, table, name, dtype in con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name IN (?, ?) "
        "ORDER BY schema_name, table_name, column_index",
        [TABLE_SCHEMA, VIEW_SCHEMA],
    ).fetchall():
        cols.setdefault((schema, table), []).append(
            Column(name, dtype, pg_schema.pg_type(dtype)))
    tables = [
        Relation(TABLE_SCHEMA, name, tuple(cols[(TABLE_SCHEMA, name)]))
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? ORDER BY table_name", [TABLE_SCHEMA]).fetchall()
    ]
    views = [
        Relation(VIEW_SCHEMA, name, tuple(cols[(VIEW_SCHEMA, name)]), sql)
        for name, sql in con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = ? ORDER BY view_name", [VIEW_SCHEMA]).fetchall()
    ]
    return tables, views


_VIEW_HEAD = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+.+?\s+AS\s+", re.I | re.S)
_MARTS_REF = re.compile(
    r'(?<![\w"])(?:"[^"]+"\.|\w+\.)?"?' + TABLE_SCHEMA + r'"?\.("(?:[^"]|"")+"|\w+)', re.I)
#: ``column AS "名前"`` in a view's select list (DuckDB quotes only where it must)
_RENAME = re.compile(r'(?:"((?:[^"]|"")+)"|(\w+))\s+AS\s+"((?:[^"]|"")+)"', re.I)


def view_body(sql: str, table_schema: str, tables: set[str]) -> str:
    """The SELECT of a ``marts_ja`` view, its ``marts`` references pointed at
    ``table_schema``. The views are plain projections (renames, CASE expressions);
    a reference to anything but a ``marts`` table is an error, not a guess."""
    m = _VIEW_HEAD.match(sql)
    if not m:
        raise TargetError(f"cannot read the view definition: {sql[:80]!r}")
    body = sql[m.end():].strip().rstrip(";")

    def repoint(ref: re.Match) -> str:
        name = ref.group(1).strip('"').replace('""', '"')
        if name not in tables:
            raise TargetError(f"view refers to {name!r}, not a table of schema marts")
        return f'"{table_schema}"."{name}"'

    out, n = _MARTS_REF.subn(repoint, body)
    if n == 0:
        raise TargetError(f"view does not read from schema marts: {body[:80]!r}")
    return out


# --------------------------------------------------------------------------- the publish


def publish_marts(warehouse: Path, url: str, project_dir: Path, run_id: str) -> TargetResult:
    """Copy the marts of the published ``warehouse`` to ``url`` and swap them in.
    Raises :class:`TargetError` (one line) when anything fails; PostgreSQL then still
    serves the previous marts, unchanged."""
    import psycopg

    t0 = time.perf_counter()
    result = TargetResult(target=redact(url), status="failed", seconds=0.0)
    docs = pg_schema.read_dbt_docs(project_dir)
    duck = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables, views = read_catalogue(duck)
        if not tables:
            raise TargetError(f"{warehouse} has no tables in schema marts")
        suffix = re.sub(r"\W", "", run_id)[:24] or "x"
        try:
            with psycopg.connect(url, **_connect_options(url)) as pg:
                _drop_replaced(pg)  # left by an earlier publish (a reader held them)
                result.rows = _load_and_swap(pg, duck, tables, views, docs, suffix,
                                             _comment(run_id, warehouse))
                _drop_replaced(pg)
        except psycopg.Error as exc:
            raise TargetError(_one_line(exc)) from exc
    finally:
        duck.close()
    result.status, result.tables, result.views = "published", len(tables), len(views)
    result.seconds = time.perf_counter() - t0
    result.message = (f"{len(tables)} tables ({result.rows:,} rows) and {len(views)} views "
                      f"in {result.seconds:.2f} s")
    return result


def _connect_options(url: str) -> dict:
    """Defaults the URL may override: a 10 s connect timeout, an application name."""
    from psycopg.conninfo import conninfo_to_dict

    given = conninfo_to_dict(url)
    defaults = {"connect_timeout": 10, "application_name": "dxplan publish"}
    return {k: v for k, v in defaults.items() if k not in given}


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _comment(run_id: str, warehouse: Path) -> str:
    return (f"dxplan marts, published {datetime.now().isoformat(timespec='seconds')} by run "
            f"{run_id} from {warehouse.name}")


def _load_and_swap(pg, duck, tables: list[Relation], views: list[Relation],
                   docs: dict[str, pg_schema.ModelDoc], suffix: str, comment: str) -> int:
    """One transaction: load the new schemas, rename them into place. Returns rows copied."""
    from psycopg import sql

    new_t, new_v = f"{TABLE_SCHEMA}__new_{suffix}", f"{VIEW_SCHEMA}__new_{suffix}"
    old_t, old_v = f"{TABLE_SCHEMA}__old_{suffix}", f"{VIEW_SCHEMA}__old_{suffix}"
    rows = 0
    with pg.transaction(), pg.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        _ensure_reader(cur)
        for schema in (new_t, new_v):
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for rel in tables:
            doc = docs.get(f"marts/{rel.name}") or docs.get(rel.name)
            _create_table(cur, new_t, rel, doc)
            rows += _copy_rows(cur, duck, new_t, rel)
            _add_keys(cur, new_t, rel, doc)
        names = {rel.name for rel in tables}
        for rel in views:
            _create_view(cur, new_v, new_t, rel, names, docs)
        for schema in (new_t, new_v):
            _grant_reader(cur, schema)
        existing = {r[0] for r in cur.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname IN (%s, %s)",
            [TABLE_SCHEMA, VIEW_SCHEMA]).fetchall()}
        for live, old, new in ((TABLE_SCHEMA, old_t, new_t), (VIEW_SCHEMA, old_v, new_v)):
            if live in existing:
                cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(live), sql.Identifier(old)))
            cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(new), sql.Identifier(live)))
        cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
            sql.Identifier(TABLE_SCHEMA), sql.Literal(comment)))
        cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
            sql.Identifier(VIEW_SCHEMA),
            sql.Literal("marts with Japanese column names; " + comment)))
    return rows


def _execute_all(cur, statements: list) -> None:
    """Several parameterless statements in one round trip."""
    from psycopg import sql

    if statements:
        cur.execute(sql.SQL(";\n").join(statements))


def _create_table(cur, schema: str, rel: Relation, doc: pg_schema.ModelDoc | None) -> None:
    from psycopg import sql

    ident = sql.Identifier(schema, rel.name)
    statements = [sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type))
        for c in rel.columns))]
    if doc and doc.description:
        statements.append(sql.SQL("COMMENT ON TABLE {} IS {}").format(
            ident, sql.Literal(doc.description)))
    for c in rel.columns:
        text = doc.columns.get(c.name) if doc else None
        if text:
            statements.append(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                ident, sql.Identifier(c.name), sql.Literal(text)))
    _execute_all(cur, statements)


def _copy_rows(cur, duck, schema: str, rel: Relation) -> int:
    """Binary COPY fed from DuckDB in batches: psycopg encodes every value by its
    PostgreSQL type (no value is ever formatted into SQL text). FREEZE (the table was
    created in this transaction): the rows are visible to every snapshot once the swap
    commits, so even a REPEATABLE READ transaction begun before the swap that reads a
    table after it sees all of the new table, never an empty one."""
    from psycopg import sql

    cols = sql.SQL(", ").join(sql.Identifier(c.name) for c in rel.columns)
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY, FREEZE)").format(
        sql.Identifier(schema, rel.name), cols)
    quoted = ", ".join('"' + c.name.replace('"', '""') + '"' for c in rel.columns)
    res = duck.execute(f'SELECT {quoted} FROM "{TABLE_SCHEMA}"."{rel.name}"')
    n = 0
    with cur.copy(stmt) as copy:
        copy.set_types([pg_schema.copy_type(c.pg_type) for c in rel.columns])
        while batch := res.fetchmany(FETCH_ROWS):
            for row in batch:
                copy.write_row(row)
            n += len(batch)
    return n


def _add_keys(cur, schema: str, rel: Relation, doc: pg_schema.ModelDoc | None) -> None:
    from psycopg import sql

    keys = pg_schema.keys_for(doc, [c.name for c in rel.columns])
    ident = sql.Identifier(schema, rel.name)

    def cols(names) -> sql.Composable:
        return sql.SQL(", ").join(sql.Identifier(c) for c in names)

    statements = []
    if keys.primary:
        statements.append(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
            ident, cols(keys.primary)))
    for names, nulls_not_distinct in keys.unique:
        statements.append(sql.SQL("ALTER TABLE {} ADD UNIQUE {}({})").format(
            ident, sql.SQL("NULLS NOT DISTINCT " if nulls_not_distinct else ""), cols(names)))
    _execute_all(cur, statements)


def _create_view(cur, schema: str, table_schema: str, rel: Relation, tables: set[str],
                 docs: dict[str, pg_schema.ModelDoc]) -> None:
    from psycopg import sql

    ident = sql.Identifier(schema, rel.name)
    body = view_body(rel.sql, table_schema, tables)
    statements = [sql.SQL("CREATE VIEW {} AS ").format(ident) + sql.SQL(body)]
    doc = docs.get(f"marts_ja/{rel.name}")
    if doc and doc.description:
        statements.append(sql.SQL("COMMENT ON VIEW {} IS {}").format(
            ident, sql.Literal(doc.description)))
    # a renamed column keeps the comment of the marts column it shows
    source = re.search(r'"' + re.escape(table_schema) + r'"\."([^"]+)"', body)
    src_doc = docs.get(f"marts/{source.group(1)}") if source else None
    by_ja = {ja.replace('""', '"'): (quoted or bare).replace('""', '"')
             for quoted, bare, ja in _RENAME.findall(body)}
    for c in rel.columns:
        en = by_ja.get(c.name, c.name)
        text = src_doc.columns.get(en) if src_doc else None
        if text:
            statements.append(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                ident, sql.Identifier(c.name), sql.Literal(text)))
    _execute_all(cur, statements)


def _ensure_reader(cur) -> None:
    """``dxplan_reader``: created when missing; LOGIN (BI tools connect as it), with the
    password from DXPLAN_POSTGRES_READER_PASSWORD when set (without one it can log in
    only where pg_hba trusts it, or be granted to a login role)."""
    from psycopg import sql

    role = sql.Identifier(READER_ROLE)
    password = os.environ.get(ENV_READER_PASSWORD) or None
    exists = cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [READER_ROLE]).fetchone()
    if not exists:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                            "NOINHERIT NOREPLICATION").format(role))
        # its sessions are read-only by default (belt and braces: it has no write grant)
        cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
    # an existing role (e.g. made by the DBA) is left as it is, but for the password
    if password:
        cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))


def _grant_reader(cur, schema: str) -> None:
    from psycopg import sql

    s, role = sql.Identifier(schema), sql.Identifier(READER_ROLE)
    cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(s))
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, role))
    cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(s, role))


def _drop_replaced(pg) -> None:
    """Drop schemas replaced by this or an earlier publish. A reader still inside an old
    table holds it: give up quickly (before any reader's deadlock check) and retry; what
    is left is dropped by the next publish."""
    from psycopg import errors, sql

    if not pg.autocommit:
        pg.autocommit = True
    olds = [r[0] for r in pg.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s OR nspname LIKE %s",
        [f"{TABLE_SCHEMA}\\_\\_old\\_%", f"{VIEW_SCHEMA}\\_\\_old\\_%"]).fetchall()]
    pg.execute(f"SET lock_timeout = {DROP_LOCK_TIMEOUT_MS}")
    for schema in sorted(olds, key=lambda s: not s.startswith(VIEW_SCHEMA)):  # views first
        for attempt in range(DROP_ATTEMPTS):
            try:
                pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)))
                break
            except (errors.LockNotAvailable, errors.DeadlockDetected):
                time.sleep(0.1 * (attempt + 1))
            except errors.DatabaseError:  # e.g. dropped meanwhile by another publisher
                break
    pg.execute("RESET lock_timeout")


# --------------------------------------------------------------------------- in the flow

AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit.publish_targets (
    run_id VARCHAR, target_name VARCHAR, target VARCHAR, status VARCHAR,
    started_at TIMESTAMP, finished_at TIMESTAMP, seconds DOUBLE, message VARCHAR
)"""


def publish_targets(warehouse: Path, project_dir: Path, run_id: str) -> list[dict]:
    """After the DuckDB swap (under the writer lock): publish to PostgreSQL when a target
    is set. Never raises for a target failure: the failure is recorded in the warehouse's
    audit (a new build file swapped in: the published file is never written in place)
    and returned with ``status == "failed"``."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url or not warehouse.is_file():
        return []
    started = datetime.now()
    t0 = time.perf_counter()
    try:
        result = publish_marts(warehouse, check_url(url), project_dir, run_id)
    except Exception as exc:  # noqa: BLE001 - a target never undoes the DuckDB publish
        message = exc.args[0] if isinstance(exc, TargetError | BadTarget) else _one_line(exc)
        result = TargetResult(target=redact(url), status="failed",
                              seconds=time.perf_counter() - t0, started_at=started,
                              message=f"PostgreSQL publish failed: {message}")
        try:
            record_failure(warehouse, run_id, result)
        except Exception as audit_exc:  # noqa: BLE001 - still report the target failure
            result.message += f" (not recorded in the audit: {_one_line(audit_exc)})"
    else:
        result.started_at = started
        _write_state(warehouse, url, run_id)
    out = asdict(result)
    out["started_at"] = result.started_at.isoformat(timespec="seconds")
    return [out]


def record_failure(warehouse: Path, run_id: str, result: TargetResult) -> None:
    """``audit.publish_targets`` row + a note on the run's ``audit.load_log`` rows."""
    from dxplan import publish

    build = publish.prepare_build(warehouse)
    try:
        con = duckdb.connect(str(build))
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS audit")
            con.execute(AUDIT_DDL)
            con.execute(
                "INSERT INTO audit.publish_targets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, result.name, result.target, result.status, result.started_at,
                 datetime.now(), result.seconds, result.message])
            has_log = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' "
                "AND table_name = 'load_log'").fetchone()[0]
            if has_log:
                con.execute(
                    "UPDATE audit.load_log SET message = concat_ws('; ', nullif(message, ''), ?) "
                    "WHERE run_id = ?", [result.message, run_id])
        finally:
            con.close()
        publish.swap_in(build, warehouse)
    finally:
        publish.discard(build)
