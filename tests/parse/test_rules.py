"""The parser's rules are data: one Rules object, loaded from a folder and passed down."""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import dxplan.parse
import pytest
import yaml
from dxplan.parse import parse_bytes
from dxplan.parse.rules import FILES, load_rules
from dxplan.parse.text import clean


@pytest.fixture
def rules_copy(tmp_path):
    """A copy of the package's rules folder to edit."""
    src = resources.files("dxplan").joinpath("rules")
    for name in FILES:
        shutil.copyfile(str(src.joinpath(f"{name}.yaml")), tmp_path / f"{name}.yaml")
    return tmp_path


def _add_fix(folder, wrong: str, right: str, note: str) -> None:
    path = folder / "ocr_fixes.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["fixes"].append({"wrong": wrong, "right": right, "note": note})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def test_every_rules_file_is_compiled_once_into_the_rules(rules):
    assert rules.source.endswith("rules")
    assert rules.ocr_fixes and rules.units.suffixes and rules.organisations.departments
    assert rules.layout.header_words and rules.pdf_columns.year_patterns and rules.plan.areas
    # words and units are kept longest first, the order every reader relies on
    lengths = [len(u) for u in rules.units.suffixes]
    assert lengths == sorted(lengths, reverse=True)


def test_an_ocr_fix_added_to_the_rules_folder_changes_the_parse(
    rules, rules_copy, seed_bytes, seed_report
):
    name = next(r.project_name for r in seed_report.rows if r.project_name)
    wrong, right = name[:3], "試験置換"
    _add_fix(rules_copy, wrong, right, "test fix")
    edited = load_rules(rules_copy)
    assert edited.source == str(rules_copy)

    report = parse_bytes(seed_bytes, "seed.txt", rules=edited)
    changed = [r for r in report.rows if r.project_name and r.project_name.startswith(right)]
    assert changed and all(wrong not in (r.project_name or "") for r in report.rows)
    repairs: list = []
    assert clean(edited, name, "f", repairs) == right + name[3:]
    assert [p.rule for p in repairs] == ["ocr_fix"] and "test fix" in repairs[0].note
    # the package's rules (and what was memoised for them) are untouched
    assert clean(rules, name, "f") == name
    again = parse_bytes(seed_bytes, "seed.txt")
    assert [r.project_name for r in again.rows] == [r.project_name for r in seed_report.rows]


def test_a_folder_without_a_rules_file_is_refused(rules_copy):
    (rules_copy / "marks.yaml").unlink()
    with pytest.raises(FileNotFoundError):
        load_rules(rules_copy)


def test_only_the_rules_module_reads_the_rules_files():
    # every other module of the parser gets its rules passed down from parse_bytes
    reads = re.compile(r"(?m)^\s*(?:import|from) (?:yaml|importlib)\b|\bopen\(|\.read_text\(")
    folder = Path(dxplan.parse.__file__).parent
    readers = [
        p.name
        for p in sorted(folder.glob("*.py"))
        if p.name != "rules.py" and reads.search(p.read_text("utf-8"))
    ]
    assert readers == []
    assert reads.search((folder / "rules.py").read_text("utf-8"))


def test_the_order_of_the_text_columns_is_data(rules_copy, rules):
    """rules/layout.yaml says in which order the text columns stand around the project
    name; swapping two of them there swaps what the parser reads into their fields."""
    path = rules_copy / "layout.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    assert data["after_project"][:2] == ["summary", "target"]
    data["after_project"][:2] = ["target", "summary"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    seed = Path(__file__).resolve().parents[2] / "raw" / "fukushima_dx_torikumi_R05_FY2023.txt"
    usual = parse_bytes(seed.read_bytes(), seed.name, rules=rules)
    swapped = parse_bytes(seed.read_bytes(), seed.name, rules=load_rules(rules_copy))
    pairs = [(a, b) for a, b in zip(usual.rows, swapped.rows, strict=False)
             if a.summary and a.target_text]
    assert len(pairs) > 20
    same = sum(a.summary == b.target_text and a.target_text == b.summary for a, b in pairs)
    assert same >= 0.8 * len(pairs)


def test_every_text_field_names_a_column_of_the_layout(rules):
    from dxplan.columns import text_fields
    from dxplan.models import ReportRow

    fields = dict(text_fields(ReportRow))
    assert fields == {"summary": "summary", "target_text": "target", "status_text": "status"}
    assert set(fields.values()) <= set(rules.layout.text_roles)
