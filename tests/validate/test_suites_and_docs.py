"""The suite files themselves, and the data docs a run writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dxplan.models import COMPARATORS, DIRECTIONS, EVALUATIONS, FILE_FORMATS
from dxplan.validate import Validator, default_expectations_dir, load_suite_specs

from .builders import valid_report

SPECS = load_suite_specs(default_expectations_dir())


def _value_sets(rule_prefixes: tuple[str, ...]) -> list[set]:
    return [
        set(e["kwargs"]["value_set"])
        for s in SPECS
        for e in s.body["expectations"]
        if e["meta"]["rule"].endswith(rule_prefixes) and "value_set" in e["kwargs"]
    ]


def test_every_expectation_has_severity_rule_and_description():
    rules = [e["meta"]["rule"] for s in SPECS for e in s.body["expectations"]]
    assert len(rules) == len(set(rules))
    for s in SPECS:
        for e in s.body["expectations"]:
            assert e["meta"]["severity"] in ("critical", "warning")
            assert e["meta"]["description"].strip()


def test_one_suite_per_staged_table_plus_cross_checks():
    frames = {s.frame for s in SPECS}
    assert {"loads", "report_rows", "kpis", "kpi_targets"} <= frames
    assert {"cross_projects", "cross_row_refs", "cross_kpis"} <= frames


def test_value_sets_follow_the_models():
    assert _value_sets(("evaluation_known",)) == [set(EVALUATIONS)] * 2
    assert _value_sets(("direction_known",)) == [set(DIRECTIONS)]
    assert _value_sets(("comparator_known",)) == [set(COMPARATORS)] * 3
    assert _value_sets(("file_format_known",)) == [set(FILE_FORMATS)]


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        ({"severity": "fatal", "rule": "x", "description": "d"}, "meta.severity"),
        ({"severity": "critical", "description": "d"}, "rule and a description"),
        ({"severity": "critical", "rule": "load_present", "description": "d"}, "already used"),
    ],
)
def test_malformed_suites_are_refused(tmp_path: Path, broken: dict, error: str):
    for spec in SPECS:
        (tmp_path / spec.path.name).write_text(spec.path.read_text(encoding="utf-8"), "utf-8")
    body = json.loads((tmp_path / "kpis.json").read_text(encoding="utf-8"))
    body["expectations"].append(
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "unit"},
            "meta": broken,
        }
    )
    (tmp_path / "kpis.json").write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    with pytest.raises(ValueError, match=error):
        load_suite_specs(tmp_path)


def test_data_docs_are_written(tmp_path: Path, stage, con):
    docs = tmp_path / "data_docs"
    validator = Validator(default_expectations_dir(), docs)
    report = valid_report()
    report.rows[1].evaluation = "よい"
    outcome = validator.validate_load(con, stage(report, load_id="load-docs"))
    assert not outcome.passed
    index = validator.build_data_docs()
    assert index == docs / "index.html"
    assert index.is_file() and "report_rows" in index.read_text(encoding="utf-8")
    pages = list((docs / "validations" / "report_rows" / "load-docs").rglob("*.html"))
    assert pages, "no GX validation page for the load"
    assert (docs / "expectations" / "kpis.html").is_file()
    summary = (docs / "dxplan_validation.html").read_text(encoding="utf-8")
    assert "load-docs" in summary and "REJECTED" in summary
    assert "row_evaluation_known" in summary and "よい" in summary
    assert "http" not in summary  # self-contained: readable offline
    link = next(p for p in pages if "report_rows" in str(p)).relative_to(docs).as_posix()
    assert f"href='{link}'" in summary


def test_no_data_docs_without_a_directory(stage, con, validator):
    quiet = Validator(default_expectations_dir(), None)
    quiet.validate_load(con, stage(valid_report()))
    assert quiet.build_data_docs() is None
