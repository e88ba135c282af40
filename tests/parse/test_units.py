"""Unit-level behaviour: numbers, marks, text normalisation, field readers."""

from __future__ import annotations

import pytest
from dxplan.parse.fields import read_item_no, read_no_cell, read_ref, split_orgs
from dxplan.parse.marks import parse_mark
from dxplan.parse.numbers import parse_value, tokenize
from dxplan.parse.text import clean


@pytest.mark.parametrize(
    ("printed", "value", "comparator", "unit"),
    [
        ("64, 169", 64169.0, None, None),  # space after a thousands separator
        ("67. 4%", 67.4, None, "%"),  # space after the decimal point
        ("43, 1%", 43.1, None, "%"),  # decimal point read as comma
        ("100,0%", 100.0, None, "%"),
        ("15,691", 15691.0, None, None),
        ("ほぼ100%", 100.0, "approximately", "%"),
        ("4以上", 4.0, "at_least", None),
        ("32百万枚以下", 32.0, "at_most", "百万枚"),
        ("40百万枚", 40.0, None, "百万枚"),
        ("約3,000件", 3000.0, "approximately", "件"),
        ("10未満", 10.0, "less_than", None),
        ("5超", 5.0, "more_than", None),
    ],
)
def test_parse_value(rules, printed, value, comparator, unit):
    assert parse_value(rules, printed) == (value, comparator, unit)


def test_rebuilt_number_text_uses_a_decimal_point(rules):
    (t,) = [t for t in tokenize(rules, "100,0%", 0) if t.kind == "num"]
    assert t.text == "100.0%"


def test_paren_read_as_zero_splits_fused_numbers(rules):
    nums = [t.value for t in tokenize(rules, "実施 6 1(15", 0) if t.kind == "num"]
    assert nums == [6.0, 10.0, 15.0]
    texts = [t.text for t in tokenize(rules, "実施 6 1(15", 0) if t.kind == "text"]
    assert texts == ["実施"]


def test_dash_is_a_value_of_its_own(rules):
    assert [t.kind for t in tokenize(rules, "-", 0)] == ["dash"]


@pytest.mark.parametrize(
    ("cell", "text", "word"),
    [
        ("○ (達成)", "○(達成)", "達成"),
        ("〇（達成）", "○(達成)", "達成"),
        ("◯ (達成)", "○(達成)", "達成"),
        ("△ (一部達成)", "△(一部達成)", "一部達成"),
        ("×(未達成)", "×(未達成)", "未達成"),
        ("× (未達成)", "×(未達成)", "未達成"),
        ("-", "-", None),
        ("=", "-", None),
        ("", None, None),
    ],
)
def test_marks(rules, cell, text, word):
    got_text, got_word, _ = parse_mark(rules, cell)
    assert (got_text, got_word) == (text, word)


def test_mark_and_word_disagree_word_wins(rules):
    text, word, note = parse_mark(rules, "○(未達成)")
    assert (text, word) == ("×(未達成)", "未達成") and note


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12", ("number", 12)),
        ("番号 32", ("number", 32)),
        ("再掲", ("relisted", None)),
        ("再揭", ("relisted", None)),
        ("再 掲", ("relisted", None)),
        ("再排", ("relisted", None)),
        ("再撂", ("relisted", None)),
        ("", (None, None)),
    ],
)
def test_number_cell(rules, cell, expected):
    if cell.startswith("番号"):
        cell = cell.split()[-1]
    assert read_no_cell(rules, cell) == expected


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("事業 ※再掲:No4", 4),
        ("※再掲:R04", 4),
        ("※再掲:Ho10", 10),
        ("※再掲:Noll", 11),
        ("※再掲:N052", 52),
        ("※両掲:Ho49", 49),
        ("※再掲：No７", 7),
        ("事業名", None),
    ],
)
def test_relist_reference(rules, text, ref):
    assert read_ref(rules, text)[1] == ref


@pytest.mark.parametrize(
    ("cell", "item"),
    [
        ("(1)", "1"),
        ("取 (1) 耳", "1"),
        ("基盤 (2))", "2"),
        ("た (10)", "10"),
        ("た計画", "計画"),
        ("P", None),
        ("", None),
    ],
)
def test_item_cell(rules, cell, item):
    assert read_item_no(rules, cell)[0] == item


def test_org_split_and_correction(rules):
    known = ["総務部", "企画調整部", "警察本部", "議会事務局"]
    assert split_orgs(rules, "総務部企画調整部", "dept", known)[0] == ["総務部", "企画調整部"]
    assert split_orgs(rules, "i 企画調整部", "dept", known)[0] == ["企画調整部"]
    assert split_orgs(rules, "NG 195 ED", "dept", known)[0] == []
    divs = ["デジタル変革課", "警務課", "総務課"]
    for garbled in ("デジタル変革訓", "デジタル変革罰", "デジタル変革副"):
        names, fixes = split_orgs(rules, garbled, "div", divs)
        assert names == ["デジタル変革課"] and fixes == [(garbled, "デジタル変革課")]
    # a tie between 警務課 and 総務課 is broken by what the row's department prefers
    assert split_orgs(rules, "香務課", "div", divs, {"警務課": 2.0})[0] == ["警務課"]


def test_text_normalisation_records_ocr_fixes(rules):
    repairs = []
    got = clean(
        rules, "【指標(RPI)】 県及び市町村共通の ボータル 仮想プラウザ 基準值", "f", repairs
    )
    assert got == "【指標(KPI)】県及び市町村共通のポータル仮想ブラウザ基準値"
    assert len(repairs) == 1 and repairs[0].rule == "ocr_fix"
    assert clean(rules, "1〜3の取組 1~3", "f") == "1〜3の取組1〜3"
    assert clean(rules, "ＡＢＣ１２３（テスト）", "f") == "ABC123(テスト)"
    assert clean(rules, "   ", "f") is None
