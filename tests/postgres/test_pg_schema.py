"""dxplan.pg_schema: types, keys and comments, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from dxplan import pg_schema
from dxplan.postgres import BadTarget, check_url, redact, view_body

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


@pytest.mark.parametrize(("duck", "pg"), [
    ("VARCHAR", "text"), ("DOUBLE", "float8"), ("INTEGER", "int4"), ("BIGINT", "int8"),
    ("BOOLEAN", "bool"), ("DATE", "date"), ("TIMESTAMP", "timestamp"),
    ("TIMESTAMP WITH TIME ZONE", "timestamptz"), ("DECIMAL(18,3)", "numeric(18,3)"),
    ("VARCHAR[]", "text[]"), ("HUGEINT", "numeric"), ("UUID", "uuid"), ("BLOB", "bytea"),
])
def test_types(duck, pg):
    assert pg_schema.pg_type(duck) == pg


def test_unknown_type_is_an_error():
    with pytest.raises(pg_schema.UnsupportedType):
        pg_schema.pg_type("STRUCT(a INTEGER)")
    with pytest.raises(pg_schema.UnsupportedType):
        pg_schema.pg_type("INTEGER[][]")


def test_docs_are_rendered():
    docs = pg_schema.read_dbt_docs(PROJECT)
    kpi = docs["marts/dim_kpi"]
    assert kpi.description and "{{" not in kpi.description
    assert kpi.columns["kpi_key"] and "{{" not in kpi.columns["kpi_key"]
    # the marts_ja view of the same name does not shadow the table's docs
    assert docs["marts_ja/dim_kpi"].description != kpi.description


def test_keys_from_the_dbt_tests():
    doc = pg_schema.ModelDoc(
        name="t", unique_not_null=["no", "t_key"], unique_only=["label"],
        grains=[(("a", "b"), False), (("c", "d"), True)])
    keys = pg_schema.keys_for(doc, ["t_key", "no", "label", "a", "b", "c", "d"])
    assert keys.primary == ("t_key",)  # the surrogate key wins
    assert (("a", "b"), False) in keys.unique and (("c", "d"), True) in keys.unique
    assert (("no",), False) in keys.unique and (("label",), False) in keys.unique
    # without a surrogate key the grain is the key; a nullable grain never is
    assert pg_schema.keys_for(doc, ["no", "a", "b"]).primary == ("a", "b")
    assert pg_schema.keys_for(doc, ["no", "c", "d"]).primary == ("no",)
    assert pg_schema.keys_for(None, ["x"]) == pg_schema.Keys((), ())


def test_warn_and_filtered_tests_give_no_keys():
    model = {"name": "m", "columns": [
        {"name": "a_key", "data_tests": ["unique", {"not_null": {"config": {"severity": "warn"}}}]},
        {"name": "b", "data_tests": [{"unique": {"config": {"where": "b > 0"}}}, "not_null"]},
    ]}
    doc = pg_schema._model_doc(model, {})
    assert doc.unique_not_null == [] and doc.unique_only == ["a_key"]
    assert pg_schema.keys_for(doc, ["a_key", "b"]).primary == ()


def test_view_body_points_at_the_new_schema():
    sql = ('CREATE VIEW marts_ja.dim_kpi AS SELECT kpi_key AS "KPIキー", CASE WHEN '
           "((direction = 'increase')) THEN ('増加') ELSE NULL END AS \"方向\" FROM marts.dim_kpi;")
    body = view_body(sql, "marts__new_x", {"dim_kpi"})
    assert body.endswith('FROM "marts__new_x"."dim_kpi"') and body.startswith("SELECT kpi_key")
    with pytest.raises(Exception, match="not a table"):
        view_body(sql.replace("marts.dim_kpi", "marts.other"), "n", {"dim_kpi"})


def test_urls():
    assert redact("postgresql://u:secret@h:5/db") == "postgresql://u:***@h:5/db"
    assert check_url("postgresql://u@127.0.0.1:5432/db")
    for bad in ("mysql://u@h/db", "h:5432", "postgresql://"):
        with pytest.raises(BadTarget):
            check_url(bad)


def test_pending_follows_the_published_file_and_the_target(tmp_path, monkeypatch):
    import os

    from dxplan import postgres

    wh = tmp_path / "dxplan.duckdb"
    wh.write_bytes(b"build 1")
    monkeypatch.delenv(postgres.ENV_URL, raising=False)
    assert postgres.pending(wh) is None  # no target: nothing is ever pending
    url = "postgresql://u:pw@127.0.0.1:5432/db"
    monkeypatch.setenv(postgres.ENV_URL, url)
    assert "never published" in postgres.pending(wh)
    postgres._write_state(wh, url, "run1")
    assert postgres.pending(wh) is None
    assert "pw" not in postgres.state_path(wh).read_text()
    monkeypatch.setenv(postgres.ENV_URL, url.replace("/db", "/other"))
    assert "target changed" in postgres.pending(wh)
    monkeypatch.setenv(postgres.ENV_URL, url)
    new = tmp_path / "build"
    new.write_bytes(b"build 2")
    os.replace(new, wh)  # the next DuckDB publish
    assert "not reached" in postgres.pending(wh)


def test_enforced_constraints_count_like_tests():
    model = {"name": "m", "columns": [
        {"name": "no", "constraints": [{"type": "not_null"}, {"type": "unique"}]},
        {"name": "label", "constraints": [{"type": "unique"}]},
        {"name": "code", "constraints": [{"type": "check", "expression": "code in ('a')"}]},
    ]}
    doc = pg_schema._model_doc(model, {})
    assert doc.unique_not_null == ["no"] and doc.unique_only == ["label"]
    assert pg_schema.keys_for(doc, ["no", "label", "code"]).primary == ("no",)
