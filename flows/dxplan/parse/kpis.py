"""Build the KPI records of a report from the KPI blocks of its rows.

A KPI is defined on the row whose KPI 番号 cell holds its number (not 再掲). A KPI cell
that the report merged over several rows (a project and the 再掲 rows right after it
that re-list the same project) is read as one KPI: name and targets from the first row,
number, actual and evaluation from whichever row OCR put them on.
"""

from __future__ import annotations

import re
from datetime import date

from dxplan.models import Kpi, KpiTarget, Repair, ReportRow
from dxplan.parse.grouping import Group
from dxplan.parse.kpi import KpiBlock, kpi_direction, kpi_unit, read_block
from dxplan.parse.numbers import Token
from dxplan.parse.rules import Rules
from dxplan.parse.text import squeeze

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def build_kpis(
    rules: Rules,
    rows: list[ReportRow],
    groups: list[Group],
    fiscal_years: list[int],
    as_of: date | None,
    report_year: int | None = None,
) -> list[Kpi]:
    n = len(fiscal_years)
    blocks = [read_block(rules, g.cells, n) for g in groups]
    kpis: list[Kpi] = []
    used: set[int] = set()
    consumed: set[int] = set()
    last_no = 0
    for i, (r, b) in enumerate(zip(rows, blocks, strict=False)):
        if i in consumed or r.kpi_is_relisted:
            continue
        if r.kpi_no is None and not b.has_data:
            continue
        if r.kpi_no is None and b.name is None and not _continued(rows, blocks, i):
            if any(b.slots):
                r.repairs.append(
                    Repair(
                        "kpi",
                        None,
                        None,
                        "junk_dropped",
                        "numbers in the KPI columns without a KPI number or indicator name",
                    )
                )
            continue
        if b.name is None and not any(b.slots[:-1]) and r.kpi_no is not None and r.kpi_no in used:
            # a number with nothing else, already defined: OCR junk in the KPI column
            r.repairs.append(
                Repair(
                    "kpi_no",
                    str(r.kpi_no),
                    None,
                    "junk_dropped",
                    "KPI number without a KPI, already defined elsewhere",
                )
            )
            r.kpi_no = None
            continue
        # rows that continue a merged KPI cell: 再掲 rows of the same project right after
        conts: list[int] = []
        j = i + 1
        while (
            j < len(rows)
            and rows[j].is_relisted
            and rows[j].project_no == r.project_no
            and r.project_no is not None
            and blocks[j].name is None
            and not rows[j].kpi_is_relisted
        ):
            conts.append(j)
            j += 1
        kpi_no = r.kpi_no
        actual = b.slots[-1]
        actual_cell = b.actual_cell_text
        ev_text, ev = r.evaluation_text, r.evaluation
        if conts and (kpi_no is None or actual is None or ev is None):
            cands = [rows[k].kpi_no for k in conts if rows[k].kpi_no is not None]
            if kpi_no is None:
                expected = last_no + 1
                fresh = [c for c in cands if c not in used]
                kpi_no = expected if expected in cands else (fresh[0] if fresh else expected)
            for k in conts:
                bk = blocks[k]
                if actual is None and bk.slots[-1] is not None:
                    actual, actual_cell = bk.slots[-1], bk.actual_cell_text
                if ev is None and rows[k].evaluation is not None:
                    ev_text, ev = rows[k].evaluation_text, rows[k].evaluation
            for k in [i, *conts]:
                old = rows[k].kpi_no
                rows[k].kpi_no = kpi_no
                rows[k].kpi_is_relisted = k != i
                if old != kpi_no:
                    rows[k].repairs.append(
                        Repair(
                            "kpi_no",
                            None if old is None else str(old),
                            str(kpi_no),
                            "kpi_merged_cell",
                            "KPI cell merged over this project and its 再掲 rows",
                        )
                    )
                if rows[k].evaluation != ev:
                    rows[k].repairs.append(
                        Repair(
                            "evaluation",
                            rows[k].evaluation_text,
                            ev_text,
                            "kpi_merged_cell",
                            "evaluation cell merged over this project and its 再掲 rows",
                        )
                    )
                    rows[k].evaluation_text, rows[k].evaluation = ev_text, ev
            consumed.update(conts)
        if kpi_no is None:
            kpi_no = last_no + 1
            r.kpi_no = kpi_no
            r.repairs.append(
                Repair(
                    "kpi_no",
                    None,
                    str(kpi_no),
                    "kpi_no_inferred",
                    "KPI data without a number; numbered after the previous KPI",
                )
            )
        if kpi_no in used:
            r.repairs.append(
                Repair(
                    "kpi_no",
                    str(kpi_no),
                    None,
                    "kpi_duplicate",
                    f"KPI {kpi_no} is already defined on an earlier row",
                )
            )
            continue
        used.add(kpi_no)
        last_no = max(last_no, kpi_no)
        k = _kpi(rules, r, b, kpi_no, fiscal_years, actual, actual_cell, ev_text, ev, as_of)
        _restore_qualifiers(k, b)
        if report_year is not None:
            _target_from_text(k, r, report_year)
        kpis.append(k)
    return kpis


def _restore_qualifiers(k: Kpi, b: KpiBlock) -> None:
    """'Æ100%' beside 'ほぼ100%': a qualifier garbled into junk is the one its siblings print."""
    toks = b.slots[1:-1]
    for t, tok in zip(k.targets, toks, strict=False):
        if tok is None or not tok.glued or t.comparator is not None:
            continue
        donors = [
            (d, dt)
            for d, dt in zip(k.targets, toks, strict=False)
            if dt is not None and d.comparator and d.value == t.value and dt.text != tok.text
        ]
        if not donors:
            continue
        d, dt = donors[0]
        new_text = dt.text
        k.repairs.append(
            Repair(
                f"kpi.target_{t.fiscal_year}",
                f"{tok.glued}{tok.text}",
                new_text,
                "qualifier_restored",
                "garbled qualifier before the number; the "
                "other targets with the same number print it",
            )
        )
        t.comparator, t.text = d.comparator, new_text


_GOAL = re.compile(r"(\d[\d,.]*)\s*([^\d\s、。,]{0,4}?)\s*(?:以上|以下)?\s*(?:を|に)目標")


def _target_from_text(k: Kpi, r: ReportRow, report_year: int) -> None:
    """A blank target of the report year, stated in the row's 指標(KPI)又は目標 text."""
    t = next((t for t in k.targets if t.fiscal_year == report_year), None)
    if t is None or t.value is not None or t.text is not None or not r.target_text:
        return
    found = _GOAL.findall(r.target_text)
    if len(found) != 1:
        return
    num, unit = found[0]
    if k.unit and unit and unit != k.unit:
        return
    try:
        value = float(num.replace(",", ""))
    except ValueError:
        return
    t.value = value
    k.repairs.append(
        Repair(
            f"kpi.target_{report_year}",
            None,
            num,
            "target_from_text",
            "target cell blank; the row's target text states it",
        )
    )


def _continued(rows: list[ReportRow], blocks: list[KpiBlock], i: int) -> bool:
    """Does the next row re-list this row's project with the KPI number on it?"""
    r = rows[i]
    j = i + 1
    return (
        j < len(rows)
        and rows[j].is_relisted
        and r.project_no is not None
        and rows[j].project_no == r.project_no
        and rows[j].kpi_no is not None
        and not rows[j].kpi_is_relisted
    )


def _kpi(
    rules: Rules,
    r: ReportRow,
    b: KpiBlock,
    kpi_no: int,
    fys: list[int],
    actual: Token | None,
    actual_cell: str | None,
    ev_text: str | None,
    ev: str | None,
    as_of: date | None,
) -> Kpi:
    base = b.slots[0]
    targets = b.slots[1:-1]
    unit = kpi_unit(rules, [*b.slots[:-1], actual], b.name)
    direction, _why = kpi_direction(
        rules,
        b.name,
        r.target_text,
        base.value if base else None,
        [t.value if t else None for t in targets],
    )
    actual_text = None
    if actual is not None:
        actual_text = actual.text
        if actual_cell and _CJK.search(actual_cell.replace(actual.text, "")):
            actual_text = squeeze(actual_cell)
    return Kpi(
        kpi_no=kpi_no,
        source_row_no=r.source_row_no,
        project_no=r.project_no,
        indicator_name=b.name,
        unit=unit,
        direction=direction,
        baseline_text=base.text if base else None,
        baseline_value=base.value if base else None,
        baseline_comparator=base.comparator if base else None,
        targets=[
            KpiTarget(
                fy, t.text if t else None, t.value if t else None, t.comparator if t else None
            )
            for fy, t in zip(fys, targets, strict=False)
        ],
        actual_text=actual_text,
        actual_value=actual.value if actual else None,
        actual_comparator=actual.comparator if actual else None,
        actual_as_of=as_of,
        evaluation_text=ev_text,
        evaluation=ev,
        repairs=list(b.repairs),
    )
