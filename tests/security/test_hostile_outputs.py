"""Hostile text in a report stays inert in every output of a run.

A report full of hostile text (script and event-handler markup, ``javascript:`` URLs,
spreadsheet formulas and DDE, control characters, right-to-left overrides, an over-long
cell) goes through one pipeline run (``conftest.hostile_run``). ``outputs()`` lists every
output with its check; :func:`test_no_output_has_live_content` runs them all. To cover a
new output (the PostgreSQL publish), add it to ``outputs()``.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.security.conftest import HOSTILE_NAME, OVERLONG_NAME, HostileRun
from tests.security.hostile import (
    MARK,
    OVERLONG,
    PAYLOADS,
    Output,
    formula_cells,
    inspect_html,
    markdown_to_html,
    read_csv_cells,
    xlsx_formula_findings,
)

pytestmark = pytest.mark.slow


def _html_check(path, shows=()):
    def check() -> list[str]:
        findings, text = inspect_html(path.read_text(encoding="utf-8"))
        missing = [k for k in shows if PAYLOADS[k] not in text]
        return findings + [f"payload {k!r} not shown as text" for k in missing]

    return check


def _markdown_check(run: HostileRun):
    def check() -> list[str]:
        mine = [md for md in run.artifacts if HOSTILE_NAME in md]
        if not mine:
            return ["no Prefect markdown artifact of the hostile run"]
        out = []
        for md in mine:
            findings, text = inspect_html(markdown_to_html(md))
            out += findings
            if OVERLONG_NAME not in text:
                out.append("the rejected file is not named in the artifact")
        return out

    return check


def _csv_check(run: HostileRun, sub: str):
    def check() -> list[str]:
        files = sorted((run.wh_dir / "exports" / sub).glob("*.csv"))
        if len(files) < 9:
            return [f"only {len(files)} CSV files in exports/{sub}"]
        out = []
        for f in files:
            header, body = read_csv_cells(f)
            out += [f"{sub}/{f.name}: {c}" for c in formula_cells(header, body)]
        return out

    return check


def _xlsx_check(run: HostileRun):
    def check() -> list[str]:
        return xlsx_formula_findings(run.template_xlsx.read_bytes())

    return check


def _template_csv_check(run: HostileRun):
    def check() -> list[str]:
        header, body = read_csv_cells(run.template_csv)
        return formula_cells(header, body)

    return check


def _marts_ja_check(run: HostileRun):
    """marts_ja holds the text as data, unchanged, and names no column after the data."""

    def check() -> list[str]:
        con = duckdb.connect(str(run.warehouse), read_only=True)
        try:
            out = []
            for (table,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='marts_ja'"
            ).fetchall():
                en = con.execute(f'SELECT * FROM marts."{table}"').fetchall()
                ja = con.execute(f'SELECT * FROM marts_ja."{table}"').fetchall()
                width = len(en[0]) if en else 0
                if sorted(map(repr, en)) != sorted(repr(r[:width]) for r in ja):
                    out.append(f"marts_ja.{table} differs from marts.{table}")
                cols = [
                    d[0]
                    for d in con.execute(f'SELECT * FROM marts_ja."{table}" LIMIT 0').description
                ]
                out += [f"marts_ja.{table}: column {c!r}" for c in cols if MARK in c or "<" in c]
            names = {
                r[0] for r in con.execute('SELECT "事業名" FROM marts_ja.dim_initiative').fetchall()
            }
            if PAYLOADS["script"] not in names:
                out.append("marts_ja.dim_initiative lost the project name's text")
            return out
        finally:
            con.close()

    return check


def outputs(run: HostileRun) -> list[Output]:
    """Every output of the hostile run, with its check. THE HOOK: add new outputs here."""
    docs = run.wh_dir / "data_docs"
    gx_pages = sorted(p for p in docs.rglob("*.html") if p.name != "dxplan_validation.html")
    return [
        Output(
            "dashboard",
            "html",
            _html_check(run.wh_dir / "dashboard" / "index.html", ("script", "js_url", "markdown")),
        ),
        Output("validation summary", "html", _html_check(docs / "dxplan_validation.html")),
        *[Output(f"GX data docs {p.relative_to(docs)}", "html", _html_check(p)) for p in gx_pages],
        Output("Prefect markdown artifacts", "markdown", _markdown_check(run)),
        Output("exports/csv", "csv", _csv_check(run, "csv")),
        Output("exports/csv_ja", "csv", _csv_check(run, "csv_ja")),
        Output("template XLSX", "xlsx", _xlsx_check(run)),
        Output("template CSV", "csv", _template_csv_check(run)),
        Output("marts_ja", "db", _marts_ja_check(run)),
    ]


def test_the_run_published_the_hostile_report_and_rejected_the_overlong_one(hostile_run):
    assert hostile_run.exit_code == 1  # the over-long file is rejected, the run says so
    assert hostile_run.template_codes == (0, 0)
    con = duckdb.connect(str(hostile_run.warehouse), read_only=True)
    try:
        status = dict(
            con.execute(
                "SELECT regexp_extract(source_path, '[^/]+$'), status || ': ' || coalesce(message, '') "
                "FROM audit.load_log"
            ).fetchall()
        )
        names = {
            r[0] for r in con.execute("SELECT project_name FROM marts.dim_initiative").fetchall()
        }
    finally:
        con.close()
    assert status[HOSTILE_NAME].startswith("published"), status
    assert (
        status[OVERLONG_NAME].startswith("rejected")
        and f"{len(OVERLONG)} characters" in status[OVERLONG_NAME]
    )
    assert {PAYLOADS["script"], PAYLOADS["js_url"], PAYLOADS["rtl"], PAYLOADS["dde"]} <= names


def test_no_output_has_live_content(hostile_run):
    outs = outputs(hostile_run)
    assert len([o for o in outs if o.name.startswith("GX data docs")]) >= 1
    problems = {o.name: found for o in outs if (found := o.check())}
    assert not problems, problems


def test_csv_exports_quote_formulas_but_keep_numbers(hostile_run):
    from dxplan.safe_text import csv_unescape

    exports = hostile_run.wh_dir / "exports" / "csv"
    header, body = read_csv_cells(exports / "dim_initiative.csv")
    summaries = [r[header.index("summary")] for r in body]
    assert "'" + PAYLOADS["hyperlink"] in summaries
    assert {csv_unescape(s) for s in summaries} >= {PAYLOADS["hyperlink"], PAYLOADS["fullwidth"]}
    header, body = read_csv_cells(exports / "fct_initiative_status.csv")
    statuses = {r[header.index("status_text")] for r in body}
    assert {"'" + PAYLOADS["dde"], "'" + PAYLOADS["quote"], "'" + PAYLOADS["tab"]} <= statuses
    assert {csv_unescape(s) for s in statuses} >= {PAYLOADS["quote"], PAYLOADS["plus"]}
    header, body = read_csv_cells(exports / "dim_kpi.csv")
    assert "'-" in [r[header.index("baseline_text")] for r in body]  # text: quoted
    values = [r[header.index("baseline_value")] for r in body]
    assert values and all(v == "" or float(v) >= 0 for v in values)  # numbers: as they are


def test_templates_read_back_to_the_hostile_text(hostile_run):
    from dxplan.parse import parse_bytes

    expected = hostile_run.report
    for path in (hostile_run.template_xlsx, hostile_run.template_csv):
        back = parse_bytes(path.read_bytes(), path.name)
        got = {(r.source_row_no, r.project_name, r.summary, r.status_text) for r in back.rows}
        want = {(r.source_row_no, r.project_name, r.summary, r.status_text) for r in expected.rows}
        assert got == want, path.name
        assert [k.indicator_name for k in back.kpis] == [k.indicator_name for k in expected.kpis]
