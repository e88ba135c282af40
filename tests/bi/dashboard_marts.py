"""The dashboard's marts in the hand-made BI fixture, built from the dbt models themselves.

The fixture warehouse of tests/bi/conftest.py holds hand-made contract tables (each with its
marts_ja view, as the export tests expect). The test modules of the dashboard and of the SQL
cookbook override its fixtures with :func:`with_dashboard_marts`. The marts the dashboard
adds on top (``dim_evaluation``, ``mart_department_scorecard``,
``mart_kpi_evaluation_check``) are rendered here from their dbt SQL, like dbt would, so the
tests exercise the one definition of each rule. ``mart_kpi_value_trust`` reads staging
lineage the fixture does not have: it is created empty with the model's columns, and tests
add rows with :func:`add_value_repair`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
RENDERED_MARTS = ("dim_evaluation", "mart_department_scorecard", "mart_kpi_evaluation_check")


def _model_columns(name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a marts model, from its yml contract (the one definition)."""
    spec = yaml.safe_load((DBT_PROJECT / "models" / "marts" / f"{name}.yml").read_text("utf-8"))
    (model,) = [m for m in spec["models"] if m["name"] == name]
    return [(c["name"], c["data_type"].upper()) for c in model["columns"]]


VALUE_TRUST_COLUMNS = _model_columns("mart_kpi_value_trust")


def render_model(name: str) -> str:
    """The SELECT of ``models/marts/<name>.sql`` with the project's macros and vars."""
    macros = "".join(
        p.read_text(encoding="utf-8") for p in sorted((DBT_PROJECT / "macros").glob("*.sql"))
    )
    model = (DBT_PROJECT / "models" / "marts" / f"{name}.sql").read_text(encoding="utf-8")
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    variables = project.get("vars", {})
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(macros + model).render(
        ref=lambda n: f'marts."{n}"',
        var=lambda n, default=None: variables.get(n, default),
        config=lambda **_: "",
    )


def build_rendered_marts(con: duckdb.DuckDBPyConnection) -> None:
    for name in RENDERED_MARTS:
        con.execute(f'CREATE OR REPLACE TABLE marts."{name}" AS {render_model(name)}')


def add_dashboard_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Columns and marts the dashboard reads beyond the fixture's contract tables."""
    con.execute(
        "ALTER TABLE marts.dim_fiscal_year ADD COLUMN IF NOT EXISTS wareki_short_label VARCHAR"
    )
    con.execute("UPDATE marts.dim_fiscal_year SET wareki_short_label = 'R' || (fiscal_year - 2018)")
    for col, kind in [
        ("target_text", "VARCHAR"),
        ("target_comparator", "VARCHAR"),
        ("actual_text", "VARCHAR"),
        ("project_no", "INTEGER"),
    ]:
        con.execute(f"ALTER TABLE marts.mart_kpi_progress ADD COLUMN IF NOT EXISTS {col} {kind}")
    con.execute(
        """
        UPDATE marts.mart_kpi_progress AS p
        SET target_text = f.target_text, target_comparator = f.target_comparator,
            actual_text = f.actual_text
        FROM marts.fct_kpi_yearly AS f
        WHERE f.kpi_no = p.kpi_no AND f.report_fiscal_year = p.report_fiscal_year
          AND f.fiscal_year = p.report_fiscal_year
        """
    )
    con.execute(
        """
        UPDATE marts.mart_kpi_progress AS p SET project_no = o.project_no
        FROM (SELECT b.report_fiscal_year, k.kpi_no, min(i.project_no) AS project_no
              FROM marts.bridge_initiative_kpi b JOIN marts.dim_kpi k USING (kpi_key)
              JOIN marts.dim_initiative i USING (initiative_key)
              WHERE NOT b.is_relisted GROUP BY ALL) AS o
        WHERE o.kpi_no = p.kpi_no AND o.report_fiscal_year = p.report_fiscal_year
        """
    )
    # what int_initiative_organisations makes of dim_initiative's '|' lists
    con.execute(
        """
        CREATE OR REPLACE TABLE marts.bridge_initiative_organisation AS
        SELECT i.initiative_key, md5(d.department) AS organisation_key, i.project_no,
               r.report_fiscal_year, CAST(d.ord AS INTEGER) AS org_ordinal, d.department,
               CAST(NULL AS VARCHAR) AS division
        FROM marts.dim_initiative i
        JOIN (SELECT DISTINCT initiative_key, report_fiscal_year
              FROM marts.bridge_initiative_plan_item) r USING (initiative_key)
        JOIN (SELECT initiative_key, trim(unnest(string_split(department, '|'))) AS department,
                     generate_subscripts(string_split(department, '|'), 1) AS ord
              FROM marts.dim_initiative) d USING (initiative_key)
        """
    )
    columns = ", ".join(f"{c} {t}" for c, t in VALUE_TRUST_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE marts.mart_kpi_value_trust ({columns})")
    build_rendered_marts(con)


def add_value_repair(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """One row of marts.mart_kpi_value_trust (unnamed columns NULL)."""
    names = [c for c, _ in VALUE_TRUST_COLUMNS]
    unknown = set(values) - set(names)
    assert not unknown, unknown
    con.execute(
        f"INSERT INTO marts.mart_kpi_value_trust VALUES ({', '.join('?' for _ in names)})",
        [values.get(n) for n in names],
    )


def with_dashboard_marts(warehouse: Path) -> Path:
    """The fixture warehouse file with :func:`add_dashboard_marts` applied (in place)."""
    con = duckdb.connect(str(warehouse))
    try:
        add_dashboard_marts(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return warehouse


def dashboard_template(template: Path, tmp_path_factory) -> Path:
    """A copy of the session's fixture template with the dashboard's marts."""
    path = tmp_path_factory.mktemp("bi_dashboard_template") / "dxplan.duckdb"
    shutil.copyfile(template, path)
    return with_dashboard_marts(path)


# fixtures that test modules import to override tests/bi/conftest.py's warehouses with
# the dashboard's marts added
@pytest.fixture(scope="session")
def bi_warehouse_template(bi_warehouse_template, tmp_path_factory):
    return dashboard_template(bi_warehouse_template, tmp_path_factory)


@pytest.fixture
def one_report_warehouse(one_report_warehouse):
    return with_dashboard_marts(one_report_warehouse)


@pytest.fixture
def empty_marts_warehouse(empty_marts_warehouse):
    return with_dashboard_marts(empty_marts_warehouse)
