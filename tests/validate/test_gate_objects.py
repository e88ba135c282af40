"""How the gate is built and judged: GX's own objects, severity decides blocking, names
are compared as printed (NFKC, whitespace removed), GX's unused heavy imports deferred."""

from __future__ import annotations

import importlib
import json
import sys
import types
from dataclasses import replace
from pathlib import Path

from dxplan.validate import Validator, default_expectations_dir
from dxplan.validation import gx_import
from dxplan.validation.suites import load_suite_specs

from .builders import make_row, valid_report


def test_each_suite_is_a_validation_definition_on_its_frames_batch_definition(
    validator, stage, con
):
    context = validator.context
    definitions = {v.name: v for v in context.validation_definitions.all()}
    assert sorted(definitions) == sorted(s.name for s in validator.specs)
    for spec in validator.specs:
        assert definitions[spec.name].data.data_asset.name == spec.frame
        assert definitions[spec.name].suite.name == spec.name
    # a validation run stores one result per suite in the context (data docs read them)
    before = len(context.validation_results_store.list_keys())
    validator.validate_load(con, stage(valid_report()))
    after = len(context.validation_results_store.list_keys())
    assert after - before == len(validator.specs)


def test_severity_alone_decides_whether_a_failed_rule_blocks_the_load(
    tmp_path: Path, validator, stage, con
):
    softer = tmp_path / "expectations"
    softer.mkdir()
    for spec in load_suite_specs(default_expectations_dir()):
        body = json.loads(spec.path.read_text(encoding="utf-8"))
        for exp in body["expectations"]:
            if exp["meta"]["rule"] == "row_evaluation_known":
                exp["meta"]["severity"] = "warning"
        (softer / spec.path.name).write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    report = valid_report()
    report.rows[1] = replace(report.rows[1], evaluation="よい")
    load_id = stage(report)
    strict = validator.validate_load(con, load_id)
    assert not strict.passed
    assert any("rule row_evaluation_known " in m for m in strict.critical_failures)
    lenient = Validator(softer).validate_load(con, load_id)
    assert lenient.passed and lenient.critical_failures == []
    assert any("rule row_evaluation_known " in m for m in lenient.warnings)


def test_printed_names_differing_only_in_width_or_spaces_are_no_conflict(validator, stage, con):
    report = valid_report()
    report.rows.append(make_row(7, 1, project_name="事業 １", departments=["総務部 "]))
    outcome = validator.validate_load(con, stage(report))
    assert outcome.passed, outcome.critical_failures
    assert any("rule project_no_unique " in m for m in outcome.warnings)


def test_deferred_modules_load_on_first_use(monkeypatch):
    monkeypatch.setattr(gx_import, "DEFERRED", ("colorsys",))
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    finder = gx_import._LazyFinder()
    sys.meta_path.insert(0, finder)
    try:
        module = importlib.import_module("colorsys")
    finally:
        sys.meta_path.remove(finder)
    assert type(module) is not types.ModuleType  # not executed yet
    assert module.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert type(module) is types.ModuleType  # executed on first use
    assert gx_import.import_gx() is sys.modules["great_expectations"]
