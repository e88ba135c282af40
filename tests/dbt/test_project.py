"""The dbt project itself: schemas, materialisations, contract columns, docs, tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from dxplan.schema import TABLES as STAGING_TABLES

from tests.contract.spec import CONTRACT  # docs/CONTRACT.md, schema `marts`
from tests.dbt.support import DBT_PROJECT, DbtRun, query, run_dbt

#: marts this project adds beyond the contract
EXTRA_MARTS = {
    "dim_report",
    "dim_organisation",
    "bridge_initiative_organisation",
    "kpi_target_history",
    "fct_repairs",
    "dim_evaluation",
    "mart_department_scorecard",
    "mart_kpi_evaluation_check",
    "mart_kpi_value_trust",
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
#: the layers this project owns (other folders under models/ belong to other areas)
OWN_LAYERS = ("models/staging/", "models/intermediate/", "models/marts/")


def _manifest(run: DbtRun) -> dict:
    return json.loads((run.target_path / "manifest.json").read_text(encoding="utf-8"))


def _own_models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == "dxplan"
        and node["original_file_path"].startswith(OWN_LAYERS)
    }


def test_marts_are_tables_in_schema_marts(sample_build: DbtRun) -> None:
    relations = query(
        sample_build.db_path,
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_schema not in ('staging', 'audit', 'marts_ja')",
    )
    marts = {name: kind for schema, name, kind in relations if schema == "marts"}
    assert set(marts) == set(CONTRACT) | EXTRA_MARTS
    assert set(marts.values()) == {"BASE TABLE"}
    # nothing in main, nothing in a prefixed schema such as main_marts
    assert {schema for schema, _, _ in relations} == {"marts"}


def test_contract_columns(sample_build: DbtRun) -> None:
    for table, required in CONTRACT.items():
        cols = {
            c
            for (c,) in query(
                sample_build.db_path,
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?",
                [table],
            )
        }
        assert not set(required) - cols, (table, set(required) - cols)


def test_every_node_ran_and_passed(sample_build: DbtRun) -> None:
    statuses = sample_build.statuses()
    kinds = {uid.split(".")[0] for uid in statuses}
    assert {"model", "test", "unit_test"} <= kinds
    failed = {u: s for u, s in statuses.items() if s not in {"pass", "success", "no-op"}}
    assert not failed
    unit_tests = {u.split(".")[-1] for u in statuses if u.startswith("unit_test.")}
    assert {
        "fct_kpi_yearly_achievement_rate",
        "mart_kpi_progress_final_target",
        "kpi_target_history_revised_target",
    } <= unit_tests


def test_keys_have_generic_tests(sample_build: DbtRun) -> None:
    """Every *_key column of a mart has a not_null/unique, grain or relationships test."""
    manifest = _manifest(sample_build)
    tested: dict[tuple[str, str], set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        model = node["attached_node"].split(".")[-1] if node.get("attached_node") else None
        meta = node["test_metadata"]
        cols = (
            [node.get("column_name")]
            if node.get("column_name")
            else list(meta.get("kwargs", {}).get("combination_of_columns", []))
        )
        for col in cols:
            tested.setdefault((model, col), set()).add(meta["name"])
    models = _own_models(manifest)
    for name, node in models.items():
        if not node["original_file_path"].startswith("models/marts/"):
            continue
        for col in node["columns"]:
            if not col.endswith("_key"):
                continue
            assert tested.get((name, col)), f"{name}.{col} has no test"
            if col == _primary_key(name, node):
                assert {"unique", "not_null"} <= tested[(name, col)], (name, col)
            else:
                assert tested[(name, col)] & {
                    "relationships",
                    "unique_combination_of_columns",
                    "unique",
                }, (name, col)


def _primary_key(name: str, node: dict) -> str | None:
    first = next(iter(node["columns"]))
    return first if first.endswith("_key") and not name.startswith("bridge_") else None


#: staging columns declared and described in dxplan.models (the staging DDL's source)
RECORD_COLUMNS = {c.name: c for t in STAGING_TABLES for c in t.columns}


def test_every_model_and_column_is_described(sample_build: DbtRun) -> None:
    """Descriptions exist, and the documented columns are exactly the model's columns.

    Staging and intermediate models pass on the columns of the staged record that their
    yml does not list (macros/staged.sql, `* exclude`): such a column is described by its
    record field (dxplan.models, col(...)) instead; a mart (contract enforced) documents
    every column."""
    manifest = _manifest(sample_build)
    models = _own_models(manifest)
    assert len(models) >= 25
    con = duckdb.connect(str(sample_build.db_path), read_only=True)
    try:
        for name, node in models.items():
            assert node["description"].strip(), f"{name} has no description"
            actual = [
                row[0] for row in con.execute(f"describe ({node['compiled_code']})").fetchall()
            ]
            documented = list(node["columns"])
            if not node["original_file_path"].startswith("models/marts/"):
                passed_on = [c for c in actual if c not in documented]
                assert all(RECORD_COLUMNS.get(c) and RECORD_COLUMNS[c].doc
                           for c in passed_on), f"{name}: undescribed columns {passed_on}"
                actual = [c for c in actual if c in documented]
            assert documented == actual, f"{name}: documented {documented} != actual {actual}"
            blank = [c for c, v in node["columns"].items() if not v["description"].strip()]
            assert not blank, f"{name}: columns without description {blank}"
            # each description gives the Japanese term beside the English meaning
            texts = [node["description"], *(v["description"] for v in node["columns"].values())]
            assert all(JAPANESE.search(t) and ASCII_WORD.search(t) for t in texts), name
    finally:
        con.close()


def test_staging_yml_columns_are_source_columns_of_their_type(sample_build: DbtRun) -> None:
    """A stg_ model's yml lists columns of its staging table (dxplan.schema), typed as the
    staging DDL types them (the cast in macros/staged.sql changes no value); the columns
    it does not list are passed on as they are."""
    tables = {t.name: {c.name: c.sql_type for c in t.columns} for t in STAGING_TABLES}
    checked = 0
    for name, node in _own_models(_manifest(sample_build)).items():
        sources = node["sources"]
        if not name.startswith("stg_") or sources[0][0] != "staging":
            continue
        declared = tables[sources[0][1]]
        for column, spec in node["columns"].items():
            source_column = spec["meta"].get("source_column", column)
            assert source_column in declared, f"{name}.{column}: no staging column"
            assert spec["data_type"].upper() == declared[source_column], f"{name}.{column}"
        checked += 1
    assert checked == len(STAGING_TABLES)


def test_exposures(sample_build: DbtRun) -> None:
    exposures = _manifest(sample_build)["exposures"].values()
    kinds = {e["name"]: e["type"] for e in exposures}
    assert kinds.get("kpi_progress_dashboard") == "dashboard"
    assert "bi_marts" in kinds
    for exposure in exposures:
        assert exposure["depends_on"]["nodes"], exposure["name"]


def test_docs_generate_offline(sample_build: DbtRun, monkeypatch: pytest.MonkeyPatch) -> None:
    # any network access would go to a closed local port and fail
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    work = sample_build.target_path.parent  # same target path: partial parse, fast
    run = run_dbt(["docs", "generate"], sample_build.db_path, work)
    assert run.success, run.exception
    catalog = json.loads((run.target_path / "catalog.json").read_text(encoding="utf-8"))
    documented = {k.split(".")[-1] for k in catalog["nodes"]}
    assert set(CONTRACT) <= documented
    index = run.target_path / "index.html"
    assert index.stat().st_size > 10_000


def test_profile_reads_the_database_from_the_environment() -> None:
    text = (DBT_PROJECT / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('DXPLAN_DBT_DB')" in text
    assert not (DBT_PROJECT / "packages.yml").exists()  # `dbt deps` is not available


def test_build_on_empty_staging(dbt_work: Path) -> None:
    """A first run whose files were all rejected still builds (empty) marts."""
    from dxplan.stage import ensure_schema

    work = dbt_work / "empty"
    work.mkdir()
    db_path = work / "warehouse.duckdb"
    con = duckdb.connect(str(db_path))
    try:
        ensure_schema(con)
    finally:
        con.close()
    run = run_dbt(["build"], db_path, work)
    assert run.success, run.failures() or run.exception
    assert query(db_path, "select count(*) from marts.dim_initiative") == [(0,)]


def test_every_column_of_the_japanese_views_is_in_the_glossary(sample_build: DbtRun) -> None:
    """The marts_ja views (made by the on-run-end hook) rename every column of their mart
    by seeds/glossary.csv, in the mart's order, plus the glossary's derived columns."""
    from dxplan import glossary

    entries = glossary.read_glossary(DBT_PROJECT)
    con = duckdb.connect(str(sample_build.db_path), read_only=True)
    try:
        made = {
            v
            for (v,) in con.execute(
                "select view_name from duckdb_views() where schema_name = 'marts_ja'"
            ).fetchall()
        }
        assert made == set(glossary.views(entries))
        for table in made:
            english = [
                d[0] for d in con.execute(f'select * from marts."{table}" limit 0').description
            ]
            missing = [c for c in english if glossary.ja_name(entries, table, c) is None]
            assert not missing, f"{table}: no Japanese name for {missing}"
            derived = [
                e.ja_name
                for e in entries
                if e.expression
                and e.column_name in english
                and e.table_name in (table, glossary.EVERY_TABLE)
            ]
            japanese = [
                d[0] for d in con.execute(f'select * from marts_ja."{table}" limit 0').description
            ]
            assert japanese == [glossary.ja_name(entries, table, c) for c in english] + derived
    finally:
        con.close()


def test_contract_constraints_are_enforced_by_the_tables(
    sample_build: DbtRun, tmp_path: Path
) -> None:
    """not_null and accepted values of non-key columns are enforced model-contract
    constraints (no test node each): every one is in the built table, and DuckDB refuses a
    row that breaks one, so a build with such data fails before anything is published."""
    import shutil

    manifest = _manifest(sample_build)
    kinds = {"not_null": "NOT NULL", "unique": "UNIQUE", "check": "CHECK"}
    wanted = {
        (name, col, kinds[c["type"]])
        for name, node in _own_models(manifest).items()
        for col, info in node["columns"].items()
        for c in info.get("constraints") or []
    }
    assert len(wanted) >= 25
    assert ("dim_kpi", "direction", "CHECK") in wanted
    copy = tmp_path / "constraints.duckdb"
    shutil.copyfile(sample_build.db_path, copy)
    con = duckdb.connect(str(copy))
    try:
        built = {
            (table, col, kind)
            for table, cols, kind in con.execute(
                "select table_name, constraint_column_names, constraint_type "
                "from duckdb_constraints() where schema_name = 'marts'"
            ).fetchall()
            for col in cols
        }
        assert wanted <= built, wanted - built
        for bad in (
            "update marts.dim_kpi set direction = 'sideways'",
            "update marts.dim_kpi set kpi_no = null",
            "update marts.fct_kpi_yearly set evaluation = '優'",
            "update marts.dim_report set report_fiscal_year = null",
        ):
            with pytest.raises(duckdb.ConstraintException):
                con.execute(bad)
    finally:
        con.close()
