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
from dxplan.parse.pdf_columns import classify as pdf_classify
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
    after = data["after_project"]
    i, j = after.index("summary"), after.index("target")  # both stand after the project
    after[i], after[j] = "target", "summary"
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


#: where the synthetic year prints 事業概要又は取組内容, by number of cells on a line
_SUMMARY_CELL = {20: 8, 18: 7, 17: 7}


def with_budget_column(text: str, values: dict[int, str]) -> str:
    """The synthetic year's OCR text with a column 事業費(千円) printed right after
    事業概要又は取組内容: its label where the page header names that column, ``values``
    (physical line -> cell) on the data lines."""
    out = []
    for no, line in enumerate(text.split("\n"), 1):
        cells = line.split("\t")
        if len(cells) in _SUMMARY_CELL:
            j = _SUMMARY_CELL[len(cells)] + 1
            label = "事業費(千円)" if cells[j - 1].startswith("事業概要又は取組内容") else ""
            cells.insert(j, f"{label} {values.get(no, '')}".strip())
        out.append("\t".join(cells))
    return "\n".join(out)


def _add_budget_role(folder: Path) -> None:
    """Rules for a text column 事業費(千円) (role ``budget``) that only later years print."""
    path = folder / "layout.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["after_project"] = ["summary", "budget", "target", "kpi_no"]
    data["optional_columns"] = ["budget"]
    data["anchors"]["budget"] = ["事業費(千円)"]
    data["strip"]["budget"] = ["事業費(千円)", "事業費"]
    data["column_words"].append("事業費(千円)")
    data["pdf"]["roles"].append({"role": "budget", "words": ["事業費"]})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def test_an_optional_text_column_is_read_where_printed_and_skipped_elsewhere(rules_copy, rules):
    """A column some years print (layout.yaml optional_columns): a report without it parses
    as before, and in a report with it the other columns keep their fields."""
    from conftest import SEED, SYNTHETIC

    _add_budget_role(rules_copy)
    with_role = load_rules(rules_copy)
    assert with_role.layout.optional == {"budget"}
    assert pdf_classify(with_role, "事業費(千円)") == ("role", "budget")
    for path in (SEED, SYNTHETIC):
        usual = parse_bytes(path.read_bytes(), path.name, rules=rules)
        assert parse_bytes(path.read_bytes(), path.name, rules=with_role) == usual
    text = SYNTHETIC.read_text("utf-8")
    printed = with_budget_column(text, {n: f"{n * 37:,}" for n in range(1, 200)})
    assert printed != text
    wider = parse_bytes(printed.encode("utf-8"), SYNTHETIC.name, rules=with_role)
    usual = parse_bytes(SYNTHETIC.read_bytes(), SYNTHETIC.name, rules=rules)
    assert len(wider.rows) == len(usual.rows) > 50
    assert [r.summary for r in wider.rows] == [r.summary for r in usual.rows]
    assert [r.target_text for r in wider.rows] == [r.target_text for r in usual.rows]
    names = [(r.project_no, r.project_name, r.divisions, r.status_text, r.evaluation)
             for r in usual.rows]
    assert [(r.project_no, r.project_name, r.divisions, r.status_text, r.evaluation)
            for r in wider.rows] == names
    assert wider.kpis == usual.kpis
    # without the rule the extra column pushes 指標(KPI)又は目標 out of its place
    shifted = parse_bytes(printed.encode("utf-8"), SYNTHETIC.name, rules=rules)
    assert [r.target_text for r in shifted.rows] != [r.target_text for r in usual.rows]


def test_an_optional_column_needs_a_place_and_an_anchor(rules_copy):
    path = rules_copy / "layout.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["optional_columns"] = ["unprinted"]  # a role with no place and no anchor
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(RuntimeError, match="optional column"):
        load_rules(rules_copy)
