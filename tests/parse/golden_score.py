"""Score a ParsedReport field by field against a hand-verified golden reading (JSON).

Rows are matched by ``source_row_no``, KPIs by ``kpi_no``. Every scalar field of the
golden counts once; a KPI's targets count one field per year and attribute (value,
comparator, text). Text is compared after NFKC with whitespace removed (line wraps of
the printed report are not content); numbers with a tolerance of 1e-9.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dxplan.models import Kpi, ParsedReport, ReportRow

#: golden keys that identify or annotate a record: every other key is a field to score
#: (the golden format, tests/golden/README.md, is the one list of fields)
ROW_IDENTITY = frozenset({"source_row_no", "uncertain"})
KPI_IDENTITY = frozenset({"kpi_no", "uncertain", "targets"})


@dataclass
class Score:
    total: int = 0
    ok: int = 0
    by_field: Counter = field(default_factory=Counter)
    bad_by_field: Counter = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.ok / self.total if self.total else 0.0

    def add(self, name: str, where: str, got: Any, want: Any) -> None:
        self.total += 1
        self.by_field[name] += 1
        if same(got, want):
            self.ok += 1
        else:
            self.bad_by_field[name] += 1
            self.mismatches.append(f"{where} {name}: got {got!r} want {want!r}")

    def report(self) -> str:
        lines = [f"accuracy {self.accuracy:.4f} ({self.ok}/{self.total})"]
        for f, n in sorted(self.by_field.items()):
            bad = self.bad_by_field.get(f, 0)
            if bad:
                lines.append(f"  {f}: {n - bad}/{n} ({(n - bad) / n:.1%})")
        return "\n".join(lines)


STRICT = False  # True: compare text exactly after NFKC (spaces count)


def norm(v: Any) -> Any:
    if isinstance(v, str):
        s = unicodedata.normalize("NFKC", v)
        s = s.strip() if STRICT else "".join(s.split())
        return s or None
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def same(a: Any, b: Any) -> bool:
    a, b = norm(a), norm(b)
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    return a == b


def _row_value(r: ReportRow, name: str) -> Any:
    if name == "source_lines":
        return list(range(r.line_start, r.line_end + 1))
    return getattr(r, name)


def _kpi_targets(k: Kpi) -> dict[str, dict[str, Any]]:
    return {
        str(t.fiscal_year): {"value": t.value, "comparator": t.comparator, "text": t.text}
        for t in k.targets
    }


def _score_fields(
    s: Score, want: dict[str, Any], got: Any, where: str, skip: frozenset[str], prefix: str = ""
) -> None:
    """Score every field of one golden record against ``got`` (None: the record is missing)."""
    missing = "<missing row>" if not prefix else "<missing KPI>"
    for name, value in want.items():
        if name in skip:
            continue
        if got is None:
            actual = missing
        elif isinstance(got, ReportRow):
            actual = _row_value(got, name)
        else:
            actual = getattr(got, name)
        s.add(f"{prefix}{name}", where, actual, value)


def score(report: ParsedReport, golden_path: Path, *, skip: tuple[str, ...] = ()) -> Score:
    """The field-by-field score of ``report``; ``skip``: row fields not to score (a PDF
    has its own pages and lines)."""
    g = json.loads(golden_path.read_text("utf-8"))
    s = Score()
    s.add("report_fiscal_year", "report", report.report_fiscal_year, g["report_fiscal_year"])
    s.add("as_of", "report", report.as_of.isoformat() if report.as_of else None, g["as_of"])
    rows = {r.source_row_no: r for r in report.rows}
    for gr in g["rows"]:
        no = gr["source_row_no"]
        _score_fields(s, gr, rows.get(no), f"row {no}", ROW_IDENTITY | set(skip))
    kpis = {k.kpi_no: k for k in report.kpis}
    for gk in g["kpis"]:
        no = gk["kpi_no"]
        k = kpis.get(no)
        where = f"KPI {no}"
        _score_fields(s, gk, k, where, KPI_IDENTITY, prefix="kpi.")
        targets = _kpi_targets(k) if k is not None else {}
        for fy, want in gk.get("targets", {}).items():
            got_t = targets.get(fy, {})
            for attr in ("value", "comparator", "text"):
                if attr in want:
                    s.add(f"kpi.target_{attr}", f"{where} {fy}", got_t.get(attr), want[attr])
    return s
