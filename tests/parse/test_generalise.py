"""Behaviour that must hold on any yearly report, not only the seed: digits split by a
space, 再掲 references, shared item names, consolidation of names, look-alike kanji."""

from __future__ import annotations

from dxplan.models import ReportRow
from dxplan.parse.cells import RowCells
from dxplan.parse.confusables import Vocabulary, correct
from dxplan.parse.context import _consolidate, text_corpus
from dxplan.parse.fields import read_ref
from dxplan.parse.kpi import read_block
from dxplan.parse.plan_items import _shared_head
from dxplan.parse.rules import default_rules

RULES = default_rules()


def _block(name: str, zone: list[tuple[str, str]]):
    rc = RowCells(text={"kpi_name": name}, zone=zone)
    return read_block(RULES, rc, 4)


def _values(b) -> list[float | None]:
    return [t.value if t is not None else None for t in b.slots]


def test_digits_split_by_a_space_in_a_single_value_cell_are_one_number():
    zone = [("baseline", "48.2%"), ("t0", "61.0%"), ("t1", "67.4%"), ("t2", "73.7%")]
    zone += [("t3", "80.0%"), ("actual", "7 1.3%")]
    assert _values(_block("利用率", zone)) == [48.2, 61.0, 67.4, 73.7, 80.0, 71.3]
    zone = [("t0", "9800 11400"), ("t1", "13000"), ("t2", "14600"), ("t3", "16200")]
    zone += [("actual", "1 7,905")]
    assert _values(_block("時間", zone)) == [9800, 11400, 13000, 14600, 16200, 17905]


def test_a_missing_percent_digit_does_not_shift_the_targets():
    zone = [("t0", ""), ("t1", "55.0%"), ("t2", "71.5%"), ("t3", "100.0%")]
    zone += [("actual", "5 0%")]
    assert _values(_block("進捗率", zone)) == [None, None, 55.0, 71.5, 100.0, 50.0]


def test_two_values_of_one_magnitude_stay_two_values():
    # the baseline shares the first target cell on pages without a baseline column
    zone = [("t0", "14442 24595"), ("t1", "30000"), ("t2", "68000"), ("t3", "70000")]
    zone += [("actual", "64, 169")]
    assert _values(_block("件数", zone)) == [14442, 24595, 30000, 68000, 70000, 64169]


def test_relist_reference_with_a_space_in_the_number():
    assert read_ref(RULES, "事業名 ※再掲:No5 2", join_spaced=True)[1] == 52
    # in a KPI-name cell the digits after the space are a value, not part of the number
    assert read_ref(RULES, "市町村数 ※再掲:No19 1")[1] == 19


def test_item_name_is_the_head_the_rows_share():
    names = ["AIの活用議事録の作成支援", "AIの活用生成AIの活用", "AIの活用生成AIの業務活用"]
    heads = [{"AIの活用"}, {"AIの活用"}, {"AIの活用"}]
    assert _shared_head(names, heads) == "AIの活用"
    # one garbled reading of the same name is not a sub-heading
    assert _shared_head(["テレワークの推進", "テレワ一クの推進"], [set(), set()]) is None


def _row(no: int, relisted: bool, name: str, summary: str = "") -> ReportRow:
    return ReportRow(
        no, 1, no, no, relisted, 7, "I", 1, "a", "1", "x", project_name=name, summary=summary
    )


def test_a_complete_printed_name_is_not_overwritten_by_a_worse_reading():
    rows = [
        _row(1, False, "人材育戌支援事業", "人材の育成を支援する"),
        _row(2, True, "人材育成支援事業"),
        _row(3, True, "人材育戌支援事業"),
    ]
    _consolidate(rows, text_corpus(rows))
    assert [r.project_name for r in rows] == ["人材育成支援事業"] * 3
    assert any(p.rule == "name_from_same_project" for p in rows[0].repairs)


def test_confusable_table_is_symmetric_data():
    table = RULES.confusables
    assert "遺" in table["遣"] and "遣" in table["遺"]


def test_confusable_corrected_only_when_the_report_prints_the_word():
    vocab = Vocabulary(["職員を民間企業に派遣する。"], ["派遺研修事業"])
    assert correct(RULES, "派遺研修事業", vocab)[0] == "派遣研修事業"
    # a correct rare word is left alone: its look-alike is printed nowhere
    assert correct(RULES, "休日の窓口", vocab)[0] == "休日の窓口"
    # the name's own (garbled) words do not vouch for themselves, other texts do
    vocab2 = Vocabulary(["派遺という語"], ["派遺研修事業"])
    assert correct(RULES, "派遺研修事業", vocab2)[0] == "派遺研修事業"
