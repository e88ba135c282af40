"""Fixtures for the BI layer (exports, Japanese views, dashboard, SQL cookbook).

``bi_warehouse`` is a small hand-made warehouse with the contract's ``marts`` tables and two
report years (2023 and 2024), so that the trend chart and the "target changed between
reports" query have something to show. ``mart_kpi_progress`` is derived from the facts with
the contract's formulas, not typed in. Facts the tests rely on are listed in ``FIXTURE``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from dxplan import glossary

REPO = Path(__file__).resolve().parents[2]
QUERIES_DIR = REPO / "queries"
DBT_PROJECT = REPO / "dbt_project"

#: the names docs/BI.md promises Japanese BI users, per view
PROMISED_JA = {
    "dim_initiative": ["事業番号", "事業名", "担当部", "担当課"],
    "dim_kpi": ["KPI番号", "指標名", "単位", "基準値"],
    "fct_kpi_yearly": ["年度", "報告年度", "目標値", "実績値", "達成率", "評価"],
    "mart_kpi_progress": [
        "指標名",
        "単位",
        "基準値",
        "目標値",
        "実績値",
        "達成率",
        "評価",
        "報告年度",
    ],
    "dim_fiscal_year": ["年度", "和暦年度"],
    "bridge_initiative_plan_item": ["報告年度", "再掲"],
    "fct_initiative_status": ["事業番号", "報告年度", "取組状況", "評価"],
}

#: what the fixture is built to contain (tests assert these, the builder below produces them)
FIXTURE = {
    "reports": (2023, 2024),
    "behind_target_2024": {1, 3},  # KPI 1 一部達成, KPI 3 未達成 (a `decrease` KPI)
    "behind_target_2023": {2},  # KPI 2 未達成; KPI 4 has no evaluation in 2023
    "target_change": (2, 2025, 67.4, 70.0),  # KPI 2's R7 target was raised in the 2024 report
}

_SCHEMA = """
CREATE SCHEMA marts;
CREATE SCHEMA audit;
CREATE TABLE marts.dim_fiscal_year (fiscal_year INTEGER, wareki_label VARCHAR, start_date DATE,
    end_date DATE);
CREATE TABLE marts.dim_plan_item (plan_item_key VARCHAR, pillar VARCHAR, area_no INTEGER,
    area_name VARCHAR, item_no VARCHAR, item_name VARCHAR);
CREATE TABLE marts.dim_initiative (initiative_key VARCHAR, project_no INTEGER, project_name VARCHAR,
    summary VARCHAR, department VARCHAR, division VARCHAR);
CREATE TABLE marts.bridge_initiative_plan_item (initiative_key VARCHAR, plan_item_key VARCHAR,
    report_fiscal_year INTEGER, source_row_no INTEGER, is_relisted BOOLEAN);
CREATE TABLE marts.dim_kpi (kpi_key VARCHAR, kpi_no INTEGER, indicator_name VARCHAR, unit VARCHAR,
    direction VARCHAR, baseline_value DOUBLE, baseline_text VARCHAR);
CREATE TABLE marts.bridge_initiative_kpi (initiative_key VARCHAR, kpi_key VARCHAR,
    report_fiscal_year INTEGER, is_relisted BOOLEAN);
CREATE TABLE marts.fct_kpi_yearly (kpi_key VARCHAR, kpi_no INTEGER, fiscal_year INTEGER,
    report_fiscal_year INTEGER, target_value DOUBLE, target_text VARCHAR, target_comparator VARCHAR,
    actual_value DOUBLE, actual_text VARCHAR, actual_as_of DATE, evaluation VARCHAR,
    evaluation_code VARCHAR, achievement_rate DOUBLE);
CREATE TABLE marts.fct_initiative_status (initiative_key VARCHAR, project_no INTEGER,
    report_fiscal_year INTEGER, target_text VARCHAR, status_text VARCHAR, evaluation VARCHAR,
    evaluation_code VARCHAR);
CREATE TABLE audit.load_log (load_id VARCHAR, run_id VARCHAR, source_path VARCHAR, sha256 VARCHAR,
    report_fiscal_year INTEGER, file_format VARCHAR, status VARCHAR, rows_in INTEGER,
    started_at TIMESTAMP, finished_at TIMESTAMP, message VARCHAR);
"""

_PLAN_ITEMS = [
    ("p1", "I", 1, "まず始めに実施すべき取組", "1", "職員の意識改革と行動変容"),
    ("p2", "I", 2, "行政サービスの向上に向けた取組", "1", "行政手続のオンライン化"),
    ("p3", "I", 3, "公務能率の向上に向けた取組", "計画", None),
    ("p4", "II", 1, "市町村支援・連携", "5", "フロントヤード改革の推進"),
]
_INITIATIVES = [
    ("i1", 1, "職員研修事業", "職層別研修に職員を派遣する。", "総務部", "職員研修課"),
    (
        "i2",
        2,
        "行政手続のオンライン化の推進",
        "オンライン化を進める。",
        "総務部|企画調整部",
        "行政経営課|デジタル変革課",
    ),
    ("i3", 3, "県庁のDX・業務改革推進事業", "ペーパーレス化を推進する。", "総務部", "行政経営課"),
    ("i4", 4, "ICT推進市町村支援事業", "市町村のDXを支援する。", "企画調整部", "デジタル変革課"),
    ("i5", 5, "福島県警察DX推進事業 <RPA>", "業務を選定する。", "警察本部", "警務課"),
]
# (initiative, plan item, source_row_no, is_relisted) per report; 2024 adds one 再掲 row
_ROWS_2023 = [
    ("i1", "p1", 1, False),
    ("i2", "p2", 2, False),
    ("i3", "p3", 3, False),
    ("i5", "p3", 4, False),
    ("i4", "p4", 5, False),
    ("i2", "p4", 6, True),
]
_ROWS = {2023: _ROWS_2023, 2024: [*_ROWS_2023, ("i4", "p2", 7, True)]}
_KPIS = [
    ("k1", 1, "BPR実施業務数", "業務", "increase", 0.0, "0"),
    ("k2", 2, "行政手続のオンライン利用率", "%", "increase", 50.5, "50.5%"),
    ("k3", 3, "コピー用紙購入量(本庁)", "百万枚", "decrease", 40.0, "40百万枚"),
    ("k4", 4, "先端技術を活用する市町村数", "団体", "increase", 10.0, "10団体"),
]
_KPI_OWNER = {"k1": "i1", "k2": "i2", "k3": "i3", "k4": "i4"}
# targets per fiscal year 2022..2025 as printed in each report
_TARGETS = {
    2023: {
        "k1": [4, 8, 12, 16],
        "k2": [60, 62, 65, 67.4],
        "k3": [38, 36, 34, 32],
        "k4": [20, 30, 40, 50],
    },
    2024: {
        "k1": [4, 8, 12, 16],
        "k2": [60, 62, 65, 70],
        "k3": [38, 36, 34, 32],
        "k4": [20, 30, 40, 50],
    },
}
# actual value and evaluation per report (for the report's own fiscal year)
_ACTUALS = {
    2023: {"k1": (8, "達成"), "k2": (55, "未達成"), "k3": (35, "達成"), "k4": (None, None)},
    2024: {"k1": (10, "一部達成"), "k2": (66, "達成"), "k3": (35, "未達成"), "k4": (42, "達成")},
}
_CODES = {"達成": "achieved", "一部達成": "partially_achieved", "未達成": "not_achieved"}


def _fmt(v: float | None) -> str | None:
    return None if v is None else f"{v:g}"


def marts_ja_models(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """view name -> SELECT of each marts_ja view, made from dbt_project/seeds/glossary.csv by
    the query the dbt hook runs (``dxplan.glossary``). With ``con`` the column lists are
    read from its ``marts`` tables; without, only the view names are known (empty SELECTs)."""
    if con is None:
        return dict.fromkeys(glossary.views(glossary.read_glossary(DBT_PROJECT)), "")
    return glossary.view_selects(con, DBT_PROJECT)


def apply_marts_ja(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the marts_ja views the way dbt would (for fixtures built without dbt)."""
    return glossary.create_views(con, DBT_PROJECT)


def make_bi_warehouse(path: Path, reports: tuple[int, ...] = FIXTURE["reports"]) -> Path:
    """Build the fixture warehouse at ``path`` (only the given report years)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(_SCHEMA)
        con.executemany(
            "INSERT INTO marts.dim_fiscal_year VALUES (?, ?, make_date(?, 4, 1), make_date(?, 3, 31))",
            [[y, f"令和{y - 2018}年度", y, y + 1] for y in range(2022, 2026)],
        )
        con.executemany("INSERT INTO marts.dim_plan_item VALUES (?, ?, ?, ?, ?, ?)", _PLAN_ITEMS)
        con.executemany("INSERT INTO marts.dim_initiative VALUES (?, ?, ?, ?, ?, ?)", _INITIATIVES)
        con.executemany("INSERT INTO marts.dim_kpi VALUES (?, ?, ?, ?, ?, ?, ?)", _KPIS)
        direction = {k[0]: k[4] for k in _KPIS}
        kpi_no = {k[0]: k[1] for k in _KPIS}
        project_no = {i[0]: i[1] for i in _INITIATIVES}
        for r in reports:
            con.executemany(
                "INSERT INTO marts.bridge_initiative_plan_item VALUES (?, ?, ?, ?, ?)",
                [[i, p, r, n, rel] for i, p, n, rel in _ROWS[r]],
            )
            links = [[i, k, r, False] for k, i in _KPI_OWNER.items()]
            if r == 2024:
                links.append(["i4", "k2", r, True])
            con.executemany("INSERT INTO marts.bridge_initiative_kpi VALUES (?, ?, ?, ?)", links)
            for k, targets in _TARGETS[r].items():
                for fy, target in zip(range(2022, 2026), targets, strict=True):
                    actual, ev = _ACTUALS[r][k] if fy == r else (None, None)
                    rate = None
                    if actual is not None:
                        rate = target / actual if direction[k] == "decrease" else actual / target
                    con.execute(
                        "INSERT INTO marts.fct_kpi_yearly VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                        [
                            k,
                            kpi_no[k],
                            fy,
                            r,
                            float(target),
                            _fmt(target),
                            None if actual is None else float(actual),
                            _fmt(actual),
                            f"{r + 1}-03-31" if fy == r else None,
                            ev,
                            _CODES.get(ev or ""),
                            rate,
                        ],
                    )
            con.executemany(
                "INSERT INTO marts.fct_initiative_status VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                [
                    [
                        i,
                        project_no[i],
                        r,
                        f"{name}を進める。",
                        f"令和{r - 2018}年度は{name}を実施した。",
                    ]
                    for i, _, name, *_ in _INITIATIVES
                ],
            )
            con.execute(
                "INSERT INTO audit.load_log VALUES (?, 'run1', ?, ?, ?, 'ocr_text', 'published', ?, "
                "TIMESTAMP '2025-01-01 06:00:00', TIMESTAMP '2025-01-01 06:00:05', 'ok')",
                [f"load{r}", f"raw/report_FY{r}.txt", f"{r:064d}", r, len(_ROWS[r])],
            )
        # the KPI x report mart, with the contract's formulas
        con.execute(
            """
            CREATE TABLE marts.mart_kpi_progress AS
            WITH final AS (
                SELECT kpi_no, report_fiscal_year, max(fiscal_year) AS final_fiscal_year,
                       arg_max(target_value, fiscal_year) AS final_target_value
                FROM marts.fct_kpi_yearly GROUP BY ALL
            )
            SELECT f.kpi_no, k.indicator_name, k.unit, k.direction, f.report_fiscal_year,
                   k.baseline_value, f.target_value, f.actual_value, f.achievement_rate,
                   f.evaluation, f.evaluation_code, fin.final_fiscal_year, fin.final_target_value,
                   (f.actual_value - k.baseline_value)
                     / nullif(fin.final_target_value - k.baseline_value, 0) AS progress_to_final
            FROM marts.fct_kpi_yearly f
            JOIN marts.dim_kpi k USING (kpi_no)
            JOIN final fin USING (kpi_no, report_fiscal_year)
            WHERE f.fiscal_year = f.report_fiscal_year
            """
        )
        apply_marts_ja(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def make_empty_marts_warehouse(path: Path) -> Path:
    """What the first build with no data produces: the marts exist but hold no rows."""
    make_bi_warehouse(path, reports=())
    con = duckdb.connect(str(path))
    try:
        for table in ("dim_fiscal_year", "dim_plan_item", "dim_initiative", "dim_kpi"):
            con.execute(f"DELETE FROM marts.{table}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def bi_warehouse_template(tmp_path_factory) -> Path:
    return make_bi_warehouse(tmp_path_factory.mktemp("bi_template") / "dxplan.duckdb")


@pytest.fixture
def bi_warehouse(tmp_path, bi_warehouse_template) -> Path:
    """A private copy of the two-report fixture warehouse (tests may write next to it)."""
    path = tmp_path / "warehouse" / "dxplan.duckdb"
    path.parent.mkdir()
    shutil.copyfile(bi_warehouse_template, path)
    return path


@pytest.fixture
def one_report_warehouse(tmp_path) -> Path:
    return make_bi_warehouse(tmp_path / "one" / "dxplan.duckdb", reports=(2023,))


@pytest.fixture
def empty_marts_warehouse(tmp_path) -> Path:
    return make_empty_marts_warehouse(tmp_path / "empty" / "dxplan.duckdb")


@pytest.fixture
def bare_warehouse(tmp_path) -> Path:
    """A DuckDB file without any marts (e.g. dbt never ran)."""
    path = tmp_path / "bare" / "dxplan.duckdb"
    path.parent.mkdir()
    duckdb.connect(str(path)).close()
    return path


@pytest.fixture(params=["missing", "bare", "empty_marts"])
def no_data_warehouse(request, tmp_path) -> tuple[str, Path]:
    """(kind, path) of a warehouse with nothing to show: no file, a file without marts,
    marts without rows (the first build)."""
    kind = request.param
    if kind == "missing":
        return kind, tmp_path / "missing" / "dxplan.duckdb"
    if kind == "bare":
        return kind, request.getfixturevalue("bare_warehouse")
    return kind, request.getfixturevalue("empty_marts_warehouse")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium; missing -> skip, or fail when DXPLAN_REQUIRE_BROWSER=1 (CI)."""
    path = chromium_path()
    if path is None:
        message = "headless chromium is not installed (docs/BI.md: browser for the tests)"
        if os.environ.get("DXPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # chromium exists but cannot start -> a real failure, not a skip
    subprocess.run([path, "--version"], check=True, capture_output=True, timeout=60)
    return path
