"""Trust on the dashboard: repaired and inferred values are marked with their repair and
source, evaluations that disagree with their numbers are flagged, the offline dbt docs page
is linked; the page reads only the marts its dbt exposure lists, under a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil

import duckdb
import pytest
import yaml
from dxplan import dashboard_data
from dxplan.dashboard import write_dashboard
from dxplan.dbt_docs import DOCS_FILE, OFFLINE_CSP, install_docs

from tests.bi.conftest import REPO
from tests.bi.dashboard_marts import (
    add_value_repair,
    build_rendered_marts,
    dashboard_template,
    render_model,
)


def _page(warehouse, out_dir) -> str:
    return write_dashboard(warehouse, out_dir).read_text(encoding="utf-8")


def _kpi_row(page: str, year: int, kpi_no: int) -> str:
    start = page.index(f'<div data-report="{year}"')
    row = re.search(rf'<tr><td class="no" data-v="{kpi_no}">.*?</tr>', page[start:], flags=re.S)
    assert row, (year, kpi_no)
    return row.group(0)


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>.*?</td>", row, flags=re.S)


@pytest.fixture(scope="session")
def bi_warehouse_template(bi_warehouse_template, tmp_path_factory):
    return dashboard_template(bi_warehouse_template, tmp_path_factory)


@pytest.fixture
def trust_warehouse(bi_warehouse):
    """The fixture warehouse with two repaired values and one disagreeing evaluation (2024):
    KPI 3 (a `decrease` KPI, actual 35 against a target of 34) printed 達成."""
    con = duckdb.connect(str(bi_warehouse))
    try:
        for table in ("mart_kpi_progress", "fct_kpi_yearly"):
            con.execute(
                f"UPDATE marts.{table} SET evaluation = '達成', evaluation_code = 'achieved' "
                "WHERE kpi_no = 3 AND report_fiscal_year = 2024"
                + (" AND fiscal_year = 2024" if table == "fct_kpi_yearly" else "")
            )
        build_rendered_marts(con)  # the evaluation check and scorecard follow the data
        add_value_repair(
            con, repair_key="r1", report_fiscal_year=2024, kpi_no=2, value_role="actual",
            field_name="kpi.values", raw_text="6 6", repaired_value="66", rule_name="number_rebuilt",
            repair_kind="repaired", note="spaces inside a number removed", source_row_no=2,
            source_name="report_FY2024.txt", page_no=3, line_start=41, line_end=42,
        )  # fmt: skip
        add_value_repair(
            con, repair_key="r2", report_fiscal_year=2024, kpi_no=1, value_role="target",
            target_fiscal_year=2024, field_name="kpi.target_2024", raw_text="<b>12</b>",
            repaired_value="12", rule_name="target_from_text", repair_kind="inferred",
            source_row_no=1, source_name="report_FY2024.txt", page_no=1, line_start=9,
        )  # fmt: skip
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return bi_warehouse


def test_repaired_value_is_marked_with_its_repair_and_source(trust_warehouse, tmp_path):
    page = _page(trust_warehouse, tmp_path / "dash")
    cells = _cells(_kpi_row(page, 2024, 2))
    actual = cells[4]
    assert 'data-trust="repaired"' in actual and 'class="trust repaired"' in actual
    title = re.search(r'title="([^"]*)"', actual).group(1)
    assert "number_rebuilt" in title and "「6 6」→「66」" in title
    assert "report_FY2024.txt 3ページ 41行〜42行" in title
    # only that cell carries the marker; the row's detail lists the repair too
    assert [('data-trust="repaired"' in c) for c in cells].count(True) == 1
    assert "補正 1件" in cells[1] and "実績値: 補正(number_rebuilt)" in cells[1]
    # the same KPI in the other report, and KPIs without repairs, are not marked
    assert "data-trust" not in _kpi_row(page, 2023, 2)
    assert "data-trust" not in _kpi_row(page, 2024, 4)


def test_inferred_value_is_marked_and_raw_text_is_escaped(trust_warehouse, tmp_path):
    page = _page(trust_warehouse, tmp_path / "dash")
    target = _cells(_kpi_row(page, 2024, 1))[3]
    assert 'class="trust inferred"' in target and ">推</span>" in target
    assert "「&lt;b&gt;12&lt;/b&gt;」→「12」" in target and "1ページ 9行" in target
    assert "<b>12</b>" not in page
    trust = page[page.index('id="trust-2024"') :]
    assert "target_from_text" in trust[: trust.index("</section>")]


def test_evaluation_that_disagrees_with_the_numbers_is_flagged(trust_warehouse, tmp_path):
    page = _page(trust_warehouse, tmp_path / "dash")
    flagged = _kpi_row(page, 2024, 3)
    assert 'data-trust="disagrees"' in flagged
    assert "評価は「達成」ですが、実績が目標に届いていません" in flagged
    for year, kpi_no in [(2024, 1), (2024, 2), (2024, 4), (2023, 3)]:
        assert 'data-trust="disagrees"' not in _kpi_row(page, year, kpi_no), (year, kpi_no)
    overview = page[page.index('<div data-report="2024"') :]
    assert '評価と数値の不一致: <b class="warn">1</b>件' in overview


def test_consistent_fixture_has_no_flags(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    assert 'data-trust="disagrees"' not in page and 'data-trust="repaired"' not in page
    assert page.count("評価と数値が合わないKPIはありません。") == 2


# (direction, target, comparator, actual, evaluation) -> disagreement (None: agrees or n/a)
CHECK_CASES = [
    ("increase", 10.0, None, 9.0, "達成", "achieved_but_target_missed"),
    ("increase", 10.0, None, 10.0, "達成", None),
    ("increase", 10.0, None, 12.0, "一部達成", "partially_achieved_but_target_met"),
    ("increase", 10.0, None, 8.0, "一部達成", None),
    ("decrease", 34.0, None, 35.0, "達成", "achieved_but_target_missed"),
    ("decrease", 34.0, None, 30.0, "未達成", "not_achieved_but_target_met"),
    ("decrease", 0.0, None, 0.0, "達成", None),
    ("maintain", 6000.0, None, 5990.0, "達成", "achieved_but_target_missed"),
    ("increase", 4.0, "at_least", 4.0, "達成", None),
    ("increase", 4.0, "more_than", 4.0, "達成", "achieved_but_target_missed"),
    ("increase", 40.0, "at_most", 38.0, "未達成", "not_achieved_but_target_met"),
    ("increase", 100.0, "approximately", 97.0, "達成", None),
    ("increase", 100.0, "approximately", 74.0, "達成", "achieved_but_target_missed"),
    ("increase", None, None, 5.0, "達成", None),
    ("increase", 10.0, None, 5.0, None, None),
]


def test_evaluation_check_rule(tmp_path):
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.mart_kpi_progress (kpi_no INTEGER, report_fiscal_year INTEGER, "
            "direction VARCHAR, target_value DOUBLE, target_text VARCHAR, target_comparator VARCHAR, "
            "actual_value DOUBLE, actual_text VARCHAR, achievement_rate DOUBLE, evaluation VARCHAR, "
            "evaluation_code VARCHAR)"
        )
        codes = {"達成": "achieved", "一部達成": "partially_achieved", "未達成": "not_achieved"}
        con.executemany(
            "INSERT INTO marts.mart_kpi_progress VALUES (?, 2024, ?, ?, NULL, ?, ?, NULL, NULL, ?, ?)",
            [
                [n, d, t, c, a, e, codes.get(e or "")]
                for n, (d, t, c, a, e, _) in enumerate(CHECK_CASES, start=1)
            ],
        )
        got = dict(
            con.execute(
                f"SELECT kpi_no, disagreement FROM ({render_model('mart_kpi_evaluation_check')})"
            ).fetchall()
        )
        agrees = dict(
            con.execute(
                f"SELECT kpi_no, evaluation_agrees FROM ({render_model('mart_kpi_evaluation_check')})"
            ).fetchall()
        )
    finally:
        con.close()
    for n, case in enumerate(CHECK_CASES, start=1):
        assert got[n] == case[-1], case
        comparable = case[1] is not None and case[4] is not None
        assert agrees[n] == ((case[-1] is None) if comparable else None), case


def test_dashboard_reads_exactly_the_tables_of_its_dbt_exposure():
    source = (REPO / "flows" / "dxplan" / "dashboard_data.py").read_text(encoding="utf-8")
    read = set(re.findall(r"\b((?:marts|audit)\.\w+)", source))
    exposures = yaml.safe_load(
        (REPO / "dbt_project" / "models" / "exposures.yml").read_text(encoding="utf-8")
    )["exposures"]
    dash = next(e for e in exposures if e["type"] == "dashboard")
    listed = set()
    for dep in dash["depends_on"]:
        ref = re.fullmatch(r"ref\('(\w+)'\)", dep)
        src = re.fullmatch(r"source\('(\w+)', '(\w+)'\)", dep)
        listed.add(f"marts.{ref.group(1)}" if ref else f"{src.group(1)}.{src.group(2)}")
    assert read == listed
    assert {f"marts.{t}" for t in dashboard_data.REQUIRED_TABLES} <= read


def test_csp_allows_only_the_pages_own_script_and_style(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        inline = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S)
        assert len(inline) == 1, tag
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"
    assert "style=" not in page


def test_dbt_docs_page_is_installed_offline_and_linked(bi_warehouse, tmp_path):
    out = tmp_path / "dash"
    assert 'href="dbt_docs.html"' not in _page(bi_warehouse, out)
    target = tmp_path / "target"
    target.mkdir()
    (target / "static_index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"></head><body>docs</body></html>',
        encoding="utf-8",
    )
    installed = install_docs(target, out)
    assert installed == out / DOCS_FILE
    text = installed.read_text(encoding="utf-8")
    assert text.startswith(
        f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{OFFLINE_CSP}">'
    )
    assert "connect-src" not in OFFLINE_CSP and "default-src 'none'" in OFFLINE_CSP
    page = _page(bi_warehouse, out)
    assert page.count('href="dbt_docs.html"') == 2  # header and footer
    assert install_docs(tmp_path / "nothing", out) is None


@pytest.mark.slow
def test_seed_run_writes_linked_docs_and_marks_every_repaired_kpi(seed_warehouse, tmp_path):
    """The real pipeline: the docs page beside the dashboard, descriptions in both languages;
    every KPI of mart_kpi_value_trust marked, every disagreement of the check mart flagged."""
    from dxplan.settings import load_settings

    settings = load_settings(warehouse=seed_warehouse)
    docs = settings.dashboard_dir / DOCS_FILE
    page = (settings.dashboard_dir / "index.html").read_text(encoding="utf-8")
    assert docs.is_file() and 'href="dbt_docs.html"' in page
    text = docs.read_text(encoding="utf-8")
    assert OFFLINE_CSP in text[:2000] and "mart_kpi_value_trust" in text
    described = "補正キー (surrogate key)"  # a column description, Japanese and English
    assert described in text or json.dumps(described)[1:-1] in text  # JSON may escape it
    con = duckdb.connect(str(seed_warehouse), read_only=True)
    try:
        year = con.execute(
            "SELECT max(report_fiscal_year) FROM marts.mart_kpi_progress"
        ).fetchone()[0]
        marked = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT kpi_no FROM marts.mart_kpi_value_trust WHERE report_fiscal_year = ? "
                "AND repair_kind <> 'dropped' AND value_role IN ('baseline', 'actual', 'evaluation', "
                "'indicator_name', 'kpi_no')",
                [year],
            ).fetchall()
        }
        flagged = con.execute(
            "SELECT count(*) FROM marts.mart_kpi_evaluation_check WHERE disagreement IS NOT NULL"
        ).fetchone()[0]
        missing_source = con.execute(
            "SELECT count(*) FROM marts.mart_kpi_value_trust WHERE source_name IS NULL "
            "OR page_no IS NULL OR line_start IS NULL"
        ).fetchone()[0]
    finally:
        con.close()
    assert marked and missing_source == 0
    for kpi_no in marked:
        assert 'data-trust="repaired"' in _kpi_row(page, year, kpi_no), kpi_no
    assert page.count('data-trust="disagrees"') == flagged
    shutil.rmtree(tmp_path, ignore_errors=True)
