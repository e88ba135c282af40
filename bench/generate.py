"""Generate N SYNTHETIC yearly reports for the benchmark (not real reports).

Each report is derived from the hand-verified reading of the seed
(``tests/golden/seed_fy2023.json``) and the seed's OCR text (free-text cells and page
headers), the way ``tests/fixtures/make_synthetic_fy2024.py`` derives the FY2024 fixture,
but varied with a fixed random seed so that N files are N different reports:

* its own report year (title 令和N年度, actuals ※R(N+1).3.31時点, status texts and the
  target-year columns shifted with the year: a 4-year window around the report year);
* 50-100 table rows: projects of the seed dropped or split into a second phase
  (「…(第2期)」), numbered 1..P in printed order, 再掲 rows and KPI numbers renumbered;
* new actuals, evaluations consistent with the report-year target, count KPIs scaled;
* pages of 8-11 rows, 18- or 20-cell pages, the page header fused into the first row
  (as its own line or as label prefixes), a number lost under the header now and then;
* OCR noise drawn from what the seed itself shows (garbled names and divisions, 再掲
  spellings, ``※再掲:Noll``-style references, pillar misreads, split numbers
  ``71, 254`` / ``67. 4%``, evaluation mark variants, line-wrap spaces). The seed's
  misreadings and page layout come from ``tests/fixtures/ocr_noise.py``, the module the
  FY2024 fixture generator uses too.

Report years: the warehouse keeps one current load per report year, so N files should
have N distinct years. The pipeline accepts fiscal years 2000..2100 and the parser reads
target-year columns as Reiwa years (R1 = 2019), so at most 82 distinct report years
(2019..2100) can be expressed; the generator uses the 81 years 2020..2100. File k gets year
``YEARS[k % 81]``; files beyond the 81st
are *re-issues* of a year already generated (another draw: other actuals and noise),
which supersede the earlier file of that year, as a corrected report would.

Output per report (``--format``): ``synth_<k>_FY<year>.txt`` (OCR'd layout, UTF-8) and/or
``synth_<k>_FY<year>.csv`` (canonical CSV written by ``dxplan.parse.canonical.write_csv``
from the generator's truth, not from parsing the OCR text), and with ``--golden`` a
golden reading ``synth_<k>_FY<year>.golden.json`` in the format of ``tests/golden/``.

    .venv/bin/python bench/generate.py 50 /tmp/raw50                # OCR text files
    .venv/bin/python bench/generate.py 50 /tmp/raw50 --format both  # and canonical CSV
    .venv/bin/python bench/generate.py 20 /tmp/g --golden --score   # parser accuracy check
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import ocr_noise  # noqa: E402  (the seed's OCR noise and layout, shared with the FY2024 fixture)

#: report years the pipeline can hold (GX: 2000..2100; parser: Reiwa target columns)
FIRST_YEAR, LAST_YEAR = 2019, 2100
#: 2019 itself is left out: its target window would start in the report year, where the
#: seed's KPIs print no target (the parser then takes one from the target text)
YEARS = list(range(FIRST_YEAR + 1, LAST_YEAR + 1))
N_TARGETS = 4
DEFAULT_SEED = 8

Row = dict[str, Any]
Kpi = dict[str, Any]

# ------------------------------------------------------------------ OCR noise (from the seed)
#: the seed's own misreadings (names, divisions, items, pillar II): tests/fixtures/ocr_noise.py
MARKS = {
    "達成": ["○ (達成)", "○(達成)", "○(達成)", "〇（達成）", "◯ (達成)"],
    "一部達成": ["△(一部達成)", "△ (一部達成)"],
    "未達成": ["×(未達成)"],
}
MARK_TEXT = {"達成": "○(達成)", "一部達成": "△(一部達成)", "未達成": "×(未達成)"}
RELIST_LABELS = ["再揭", "再揭", "再掲", "再 掲", "再撂", "再排"]
#: suffixes of a project split into a second phase (new numbered project)
PHASE_SUFFIXES = ["(第2期)", "(拡充分)", "(広域連携)", "(試行)", "(第3期)"]
#: seed header line pairs (1-based) by page width
HEADERS = {18: [1, 15, 44], 20: [30, 58, 72]}


def window(year: int) -> list[int]:
    """The 4 target years printed for a report year (R-columns; inside 2019..2100)."""
    start = min(max(year - 1, FIRST_YEAR), LAST_YEAR - N_TARGETS + 1)
    return [start + k for k in range(N_TARGETS)]


# ------------------------------------------------------------------ text helpers


_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def fmt_number(value: float, like: str) -> str:
    """``value`` printed the way the number ``like`` is printed (decimals, thousands)."""
    decimals = len(like.split(".")[1]) if "." in like else 0
    if "," in like:
        return f"{value:,.{decimals}f}"
    return f"{value:.{decimals}f}"


def retext(text: str | None, value: float | None) -> str | None:
    """``text`` with its (first) number replaced by ``value``."""
    if text is None or value is None:
        return text
    m = _NUM.search(text)
    if not m:
        return text
    return text[: m.start()] + fmt_number(value, m.group(0)) + text[m.end() :]


def _balanced(name: str) -> bool:
    """A complete name: brackets closed (the seed has names whose head OCR cut off)."""
    return name.count("(") == name.count(")") and not name.startswith(("(", ")"))


def nfkc(text: str | None) -> str | None:
    if text is None:
        return None
    s = " ".join(unicodedata.normalize("NFKC", text).split())
    return s or None


# ------------------------------------------------------------------ seed


@dataclass
class Seed:
    golden: dict[str, Any]
    lines: list[str]
    texts: dict[int, tuple[str, str, str]]  # seed source_row_no -> (summary, target, status)


def load_seed() -> Seed:
    golden, lines = ocr_noise.read_seed()
    texts = {r["source_row_no"]: ocr_noise.seed_free_texts(lines, r) for r in golden["rows"]}
    return Seed(golden, lines, texts)


# ------------------------------------------------------------------ truth of one report


@dataclass
class Spec:
    index: int
    year: int
    reissue: int  # 0 = first file of its year
    rows: int  # table rows of the report year
    year_rng: random.Random  # structure of the report year (the same for its re-issues)
    rng: random.Random  # this file: actuals, page breaks, OCR noise


def row_counts(seed: int) -> dict[int, int]:
    """Rows per report year: a random walk in 50..100, so that a year never has less than
    half the projects of the year before (GX rule report_not_truncated)."""
    rnd = random.Random(seed)
    n = rnd.randint(60, 90)
    counts = {}
    for year in YEARS:
        counts[year] = n
        n = min(100, max(50, n + rnd.randint(-8, 8)))
    return counts


def spec_for(index: int, seed: int, counts: dict[int, int] | None = None) -> Spec:
    year = YEARS[index % len(YEARS)]
    counts = counts or row_counts(seed)
    return Spec(
        index=index,
        year=year,
        reissue=index // len(YEARS),
        rows=counts[year],
        year_rng=random.Random(seed * 1_000_003 + year),
        rng=random.Random(seed * 1_000_003 + 10_000 + index),
    )


def build_truth(seed: Seed, spec: Spec) -> tuple[list[Row], list[Kpi]]:
    rnd = spec.year_rng
    rows = [copy.deepcopy(r) for r in seed.golden["rows"]]
    for r in rows:
        r["_seed_row"] = r["source_row_no"]
        r["_seed_pno"] = r["project_no"]
        r["_phase"] = ""
    kpi_projects = {r["project_no"] for r in rows if r["kpi_no"] and not r["is_relisted"]}
    referenced = {r["project_no"] for r in rows if r["is_relisted"]}
    target_rows = spec.rows
    # 1. drop projects nobody refers to (no KPI, no 再掲), or split some into a 2nd phase
    if target_rows < len(rows):
        droppable = [
            r["project_no"]
            for r in rows
            if not r["is_relisted"]
            and r["project_no"] not in kpi_projects | referenced
            and r["project_no"] > 2
        ]
        drop = set(rnd.sample(droppable, min(len(droppable), len(rows) - target_rows)))
        rows = [r for r in rows if r["is_relisted"] or r["project_no"] not in drop]
    elif target_rows > len(rows):
        named = [
            i
            for i, r in enumerate(rows)
            if not r["is_relisted"] and r["project_name"] and _balanced(r["project_name"])
        ]
        picks = sorted(rnd.choices(named, k=target_rows - len(rows)), reverse=True)
        for i in picks:
            dup = copy.deepcopy(rows[i])
            used = {x["_phase"] for x in rows if x["_seed_pno"] == dup["_seed_pno"]}
            free = [s for s in PHASE_SUFFIXES if s not in used] or [f"(第{len(used) + 2}期)"]
            dup["_phase"] = free[0]
            dup["project_name"] = rows[i]["project_name"] + dup["_phase"]
            dup.update(kpi_no=None, kpi_is_relisted=False, evaluation=None, uncertain=[])
            pool = [
                x["source_row_no"]
                for x in seed.golden["rows"]
                if (x["pillar"], x["area_no"]) == (dup["pillar"], dup["area_no"])
            ]
            dup["_seed_row"] = rnd.choice(pool)  # free texts of another row of the area
            rows.insert(i + 1, dup)
    # 2. renumber projects 1..P in printed order; 再掲 rows follow their project
    new_no: dict[int, int] = {}
    n = 0
    for r in rows:
        if not r["is_relisted"]:
            n += 1
            if not r["_phase"]:
                new_no[r["project_no"]] = n
            r["project_no"] = n
    for r in rows:
        if r["is_relisted"]:
            r["project_no"] = new_no[r["project_no"]]
    # 3. KPIs of the surviving rows, renumbered 1..K
    kept = sorted({r["kpi_no"] for r in rows if r["kpi_no"]})
    kpi_map = {old: i for i, old in enumerate(kept, 1)}
    kpis = [copy.deepcopy(k) for k in seed.golden["kpis"] if k["kpi_no"] in kpi_map]
    for r in rows:
        if r["kpi_no"]:
            r["kpi_no"] = kpi_map[r["kpi_no"]]
    years = window(spec.year)
    for k in kpis:
        k["_seed_kno"] = k["kpi_no"]
        k["kpi_no"] = kpi_map[k["kpi_no"]]
        _vary_kpi(k, years, spec)
    ocr_noise.link_rows_and_kpis(rows, kpis)
    for k in kpis:
        k["project_no"] = rows[k["source_row_no"] - 1]["project_no"]
    return rows, kpis


def _vary_kpi(k: Kpi, years: list[int], spec: Spec) -> None:
    """New targets (count KPIs scaled), a new actual and a consistent evaluation."""
    pct = k["unit"] == "%"
    factor = 1.0 if pct else spec.year_rng.choice([0.5, 0.8, 1.0, 1.0, 1.25, 1.5, 2.0, 3.0])
    rnd = spec.rng
    integral = all(
        float(v).is_integer()
        for v in [k["baseline_value"], *(t["value"] for t in k["targets"].values())]
        if v is not None
    )

    def scale(v: float | None) -> float | None:
        if v is None or factor == 1.0:
            return v
        v = v * factor
        return float(round(v)) if integral else round(v, 2)

    k["baseline_value"] = scale(k["baseline_value"])
    k["baseline_text"] = retext(k["baseline_text"], k["baseline_value"])
    old = list(k["targets"].values())
    k["targets"] = {}
    for y, t in zip(years, old, strict=True):
        value = scale(t["value"])
        text = t["text"] if t["text"] is not None else (f"{value:g}" if value is not None else None)
        k["targets"][str(y)] = {
            "value": value,
            "comparator": t["comparator"],
            "text": retext(text, value),
        }
    target = k["targets"].get(str(spec.year), {"value": None, "comparator": None})
    tv, comp, direction = target["value"], target["comparator"], k["direction"]
    met = rnd.random() < 0.6
    if tv is None or comp == "approximately":
        base = [t["value"] for t in k["targets"].values() if t["value"] is not None] or [10.0]
        actual = base[0] * rnd.uniform(0.5, 1.1)
        evaluation = rnd.choice(["達成", "一部達成", "未達成"])
    else:
        up = direction != "decrease"
        if met:
            actual = tv * rnd.uniform(1.0, 1.3) if up else tv * rnd.uniform(0.7, 1.0)
            if comp == "more_than" or (comp is None and tv == 0):
                actual = tv + max(1.0, abs(tv) * 0.1) if up else tv
        else:
            actual = tv * rnd.uniform(0.3, 0.97) if up else tv * rnd.uniform(1.05, 1.5)
        evaluation = "達成" if met else rnd.choice(["一部達成", "一部達成", "未達成"])
    if pct:
        actual = min(actual, 100.0)
    like = k["actual_text"] or "0"
    m = _NUM.search(like)
    digits = m.group(0) if m else "0"
    actual = round(actual, len(digits.split(".")[1]) if "." in digits else 0)
    if tv is not None and comp != "approximately":  # rounding must not flip the verdict
        up = direction != "decrease"
        ok = actual >= tv if up else actual <= tv
        if ok != (evaluation == "達成"):
            evaluation = "達成" if ok else "一部達成"
    if pct and actual >= 1000:  # pragma: no cover - bounded above
        actual = 100.0
    if "," not in digits and actual >= 1000 and rnd.random() < 0.5:
        digits = "1,000"
    k["actual_value"] = float(actual)
    k["actual_text"] = (
        like[: m.start()] + fmt_number(actual, digits) + like[m.end() :]
        if m
        else fmt_number(actual, digits)
    )
    k["evaluation"] = evaluation


# ------------------------------------------------------------------ rendering


@dataclass
class Noise:
    rnd: random.Random
    level: float = 1.0
    pillar_ii: int = 0
    used: dict[str, int] = field(default_factory=dict)

    def chance(self, p: float) -> bool:
        return self.rnd.random() < p * self.level

    def relist_label(self) -> str:
        return self.rnd.choice(RELIST_LABELS) if self.chance(0.8) else "再掲"

    def ref(self, no: int) -> str:
        if not self.chance(0.25):
            return f"No{no}"
        forms = [f"Ho{no}", f"N0{no}"]
        if "1" in str(no):
            forms.append("No" + str(no).replace("1", "l"))
        return self.rnd.choice(forms)

    def pillar(self, pillar: str) -> str:
        if pillar == "I":
            return "I"
        return self.rnd.choice(ocr_noise.PILLAR_II) if self.chance(0.7) else "Ⅱ"

    def mark(self, evaluation: str) -> str:
        return self.rnd.choice(MARKS[evaluation])

    def number(self, text: str) -> str:
        """Split numbers as the seed's OCR does: '71, 254', '67. 4%', '58, 6%'."""
        if not text or not self.chance(0.12):
            return text
        m = _NUM.search(text)
        if not m:
            return text
        s = m.group(0)
        if "," in s:
            s = s.replace(",", ", ", 1)
        elif "." in s and text.endswith("%"):
            s = s.replace(".", self.rnd.choice([". ", ", "]), 1)
        return text[: m.start()] + s + text[m.end() :]


def number_text(kpi: Kpi, key: str, relisted: bool, noise: Noise) -> str:
    text = ocr_noise.printed_number(kpi, key)
    return text if relisted else noise.number(text)


def row_kpi_cells(row: Row, kpi: Kpi | None, cols: int, variant: str, noise: Noise) -> list[str]:
    """KPI number, name, baseline/targets and actual cells of one row (without eval)."""
    if kpi is None:
        return ocr_noise.no_kpi_cells(cols)
    rel = row["kpi_is_relisted"]
    number = noise.relist_label() if rel else str(kpi["kpi_no"])
    name = kpi["indicator_name"]
    if not rel and kpi["_seed_kno"] in ocr_noise.KPI_NAME_GARBLES and noise.chance(0.5):
        name = ocr_noise.KPI_NAME_GARBLES[kpi["_seed_kno"]]
    base = number_text(kpi, "baseline", rel, noise)
    ts = [number_text(kpi, y, rel, noise) for y in kpi["targets"]]
    actual = number_text(kpi, "actual", rel, noise)
    return ocr_noise.kpi_cells(
        kpi["kpi_no"], number, name, (base, ts, actual), relisted=rel, cols=cols, variant=variant
    )


def page_header(seed: Seed, first: int, spec: Spec) -> list[list[str]]:
    return ocr_noise.header_lines(seed.lines, first, spec.year, window(spec.year))


@dataclass
class Page:
    cols: int
    rows: int
    first: str  # two_line | one_line | one_line_number_lost
    style: str  # seed_p1 | full | name_only | no_pillar
    header: int  # first seed header line


def plan_pages(rows: list[Row], rnd: random.Random) -> list[Page]:
    pages: list[Page] = []
    start = 0
    while start < len(rows):
        n = min(rnd.randint(8, 11), len(rows) - start)
        if 0 < len(rows) - start - n < 4:  # no tiny last page
            n = len(rows) - start
        if not pages:
            page = Page(18, n, "two_line", "seed_p1", 1)
        else:
            cols = rnd.choice([18, 20])
            r = rows[start]
            # the two-line fusion only above a numbered row with a name and an item: the
            # parser misreads it above a 再掲 row or a row with empty cells (see README)
            two_ok = not r["is_relisted"] and r["project_name"] and r["item_name"] and r["_summary"]
            first = "two_line" if cols == 18 and two_ok and rnd.random() < 0.3 else "one_line"
            prev = rows[start - 1]
            nxt = rows[start + 1] if start + 1 < len(rows) else None
            if (
                first == "one_line"
                and not r["is_relisted"]
                and not prev["is_relisted"]
                and prev["project_no"] == r["project_no"] - 1
                and nxt is not None
                and not nxt["is_relisted"]
                and nxt["project_no"] == r["project_no"] + 1
                and rnd.random() < 0.3
            ):
                first = "one_line_number_lost"
            style = "full"
            if rnd.random() < 0.25:
                style = "name_only" if cols == 18 else "no_pillar"
            page = Page(cols, n, first, style, rnd.choice(HEADERS[cols]))
        pages.append(page)
        start += n
    return pages


def render_row(
    row: Row,
    kpi: Kpi | None,
    texts: tuple[str, str, str],
    page: Page,
    first: bool,
    years: list[str],
    noise: Noise,
) -> list[list[str]]:
    summary, target, status = texts
    number = noise.relist_label() if row["is_relisted"] else str(row["project_no"])
    rel = row["is_relisted"]
    garbled = not rel and noise.chance(0.5)
    name_pairs = ocr_noise.NAME_GARBLES.get(row["_seed_pno"], []) if garbled else []
    ref = noise.ref(row["project_no"]) if rel else None
    pname, item_name = ocr_noise.name_cells(row, name_pairs, ref, garble_item=noise.chance(0.5))
    sep = " " if noise.chance(0.3) else ""
    depts = sep.join(row["departments"])
    divs = (" " if len(row["divisions"]) > 1 and noise.chance(0.5) else "").join(row["divisions"])
    if not row["is_relisted"] and not row["_phase"] and noise.chance(0.5):
        divs = ocr_noise.garble(divs, ocr_noise.DIVISION_GARBLES.get(row["_seed_pno"], []))
    shown = noise.pillar(row["pillar"]) if row["pillar"] else ""
    area = ocr_noise.area_cells(row, page.style, page.cols, first, shown)
    variant = "A" if page.style == "seed_p1" else "B"
    kc = row_kpi_cells(row, kpi, page.cols, variant, noise)
    ev = "-" if kpi is None else noise.mark(kpi["evaluation"])
    rest = [item_name, depts, divs, pname, summary, target, *kc, ev, status]
    cells = ocr_noise.row_cells(page.cols, number, area, rest)
    assert len(cells) == page.cols, (row["source_row_no"], len(cells))
    if first and page.first.startswith("one_line"):
        return [
            ocr_noise.fuse_labels(cells, page.cols, years, page.first == "one_line_number_lost")
        ]
    if first and page.first == "two_line":
        return ocr_noise.split_two_lines(cells, years)
    return [cells]


def shift_texts(texts: tuple[str, str, str], spec: Spec) -> tuple[str, str, str]:
    summary, target, status = texts
    n = ocr_noise.reiwa(spec.year)
    status = status.replace("令和5年度", f"令和{n}年度")
    return summary, target, status


def render(seed: Seed, rows: list[Row], kpis: list[Kpi], spec: Spec) -> str:
    rnd = spec.rng
    noise = Noise(rnd)
    by_no = {k["kpi_no"]: k for k in kpis}
    years = ocr_noise.year_labels(window(spec.year))
    lines: list[str] = []
    start = 0
    for row in rows:
        row["_summary"] = seed.texts[row["_seed_row"]][0]
    for p, page in enumerate(plan_pages(rows, rnd)):
        if p:
            lines.append("")
        lines.extend("\t".join(h) for h in page_header(seed, page.header, spec))
        for j, row in enumerate(rows[start : start + page.rows]):
            texts = shift_texts(seed.texts[row["_seed_row"]], spec)
            kpi = by_no.get(row["kpi_no"]) if row["kpi_no"] else None
            printed = render_row(row, kpi, texts, page, j == 0, years, noise)
            row["page_no"] = p + 1
            row["source_lines"] = ocr_noise.append_printed(lines, printed)
            row["_texts"] = texts
            row["_raw"] = "\n".join(lines[row["source_lines"][0] - 1 :])
        start += page.rows
    return "\n".join(lines)


# ------------------------------------------------------------------ outputs


def title(year: int) -> str:
    return f"デジタル変革(DX)推進基本方針及びデジタル化推進計画 令和{ocr_noise.reiwa(year)}年度関連事業 取組一覧"


def golden_json(rows: list[Row], kpis: list[Kpi], spec: Spec, source: str) -> dict[str, Any]:
    def clean_row(r: Row) -> Row:
        return {k: v for k, v in r.items() if not k.startswith("_") and k != "uncertain"}

    def clean_kpi(k: Kpi) -> Kpi:
        return {a: v for a, v in k.items() if not a.startswith("_") and a != "uncertain"}

    return {
        "synthetic": True,
        "note": "SYNTHETIC report written by bench/generate.py; not a real report",
        "report_fiscal_year": spec.year,
        "as_of": date(spec.year + 1, 3, 31).isoformat(),
        "title": title(spec.year),
        "source_file": source,
        "rows": [clean_row(r) for r in rows],
        "kpis": [clean_kpi(k) for k in kpis],
    }


#: truth fields a ReportRow / Kpi takes as they are
ROW_FIELDS = (
    *("source_row_no", "page_no", "is_relisted", "project_no", "pillar", "area_no"),
    *("area_name", "item_no", "item_name", "kpi_no", "kpi_is_relisted", "evaluation"),
)
KPI_FIELDS = (
    *("kpi_no", "source_row_no", "project_no", "indicator_name", "unit", "direction"),
    *("baseline_text", "baseline_value", "baseline_comparator"),
    *("actual_text", "actual_value", "actual_comparator", "evaluation"),
)


def parsed_report(rows: list[Row], kpis: list[Kpi], spec: Spec):
    """The truth as a ParsedReport (for the canonical CSV)."""
    from dxplan.models import Kpi as KpiRec
    from dxplan.models import KpiTarget, ParsedReport, ReportRow

    as_of = date(spec.year + 1, 3, 31)
    out_rows = []
    for r in rows:
        summary, target, status = r["_texts"]
        out_rows.append(
            ReportRow(
                **{f: r[f] for f in ROW_FIELDS},
                line_start=r["source_lines"][0],
                line_end=r["source_lines"][-1],
                departments=list(r["departments"]),
                divisions=list(r["divisions"]),
                project_name=nfkc(r["project_name"]),
                summary=nfkc(summary),
                target_text=nfkc(target),
                evaluation_text=MARK_TEXT.get(r["evaluation"], "-") if r["kpi_no"] else "-",
                status_text=nfkc(status),
                raw_text=r["_raw"],
            )
        )
    out_kpis = [
        KpiRec(
            **{f: k[f] for f in KPI_FIELDS},
            targets=[
                KpiTarget(int(y), t["text"], t["value"], t["comparator"])
                for y, t in k["targets"].items()
            ],
            actual_as_of=as_of,
            evaluation_text=MARK_TEXT[k["evaluation"]],
        )
        for k in kpis
    ]
    return ParsedReport(
        report_fiscal_year=spec.year,
        as_of=as_of,
        title=title(spec.year),
        file_format="canonical_csv",
        encoding="utf-8-sig",
        rows=out_rows,
        kpis=out_kpis,
    )


def generate_one(seed: Seed, index: int, seed_value: int = DEFAULT_SEED):
    """(ocr text, rows, kpis, spec) of synthetic report number ``index``."""
    spec = spec_for(index, seed_value)
    rows, kpis = build_truth(seed, spec)
    text = render(seed, rows, kpis, spec)
    return text, rows, kpis, spec


def file_stem(spec: Spec) -> str:
    return f"synth_{spec.index:04d}_FY{spec.year}"


def generate(
    n: int,
    out_dir: Path,
    *,
    formats: tuple[str, ...] = ("ocr",),
    seed_value: int = DEFAULT_SEED,
    golden: bool = False,
) -> list[Path]:
    """Write ``n`` synthetic reports into ``out_dir``; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seed = load_seed()
    written: list[Path] = []
    for i in range(n):
        text, rows, kpis, spec = generate_one(seed, i, seed_value)
        stem = file_stem(spec)
        if "ocr" in formats:
            path = out_dir / f"{stem}.txt"
            path.write_bytes(text.encode("utf-8"))
            written.append(path)
        if "csv" in formats:
            from dxplan.parse.canonical import write_csv

            path = out_dir / f"{stem}.csv"
            path.write_bytes(write_csv(parsed_report(rows, kpis, spec)))
            written.append(path)
        if golden:
            g = golden_json(rows, kpis, spec, f"{stem}.txt")
            (out_dir / f"{stem}.golden.json").write_text(
                json.dumps(g, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
    return written


def score_dir(out_dir: Path) -> float:
    """Parse every generated OCR file and score it against its golden reading."""
    sys.path.insert(0, str(ROOT))
    from dxplan.parse import parse_bytes

    from tests.parse.golden_score import score

    total = ok = 0
    for gpath in sorted(out_dir.glob("*.golden.json")):
        txt = gpath.with_name(gpath.name.replace(".golden.json", ".txt"))
        report = parse_bytes(txt.read_bytes(), txt.name)
        s = score(report, gpath)
        total += s.total
        ok += s.ok
        print(f"{txt.name}: {s.report().splitlines()[0]}")
        for line in s.report().splitlines()[1:]:
            print(line)
        for m in s.mismatches[:5]:
            print("   ", m)
    acc = ok / total if total else 0.0
    print(f"overall accuracy {acc:.4f} ({ok}/{total})")
    return acc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of reports")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--format", choices=("ocr", "csv", "both"), default="ocr")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--golden", action="store_true", help="also write golden readings")
    parser.add_argument("--score", action="store_true", help="parse and score (needs --golden)")
    args = parser.parse_args(argv)
    formats = ("ocr", "csv") if args.format == "both" else (args.format,)
    t = time.perf_counter()
    paths = generate(
        args.n, args.out_dir, formats=formats, seed_value=args.seed, golden=args.golden
    )
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} files ({size / 1e6:.1f} MB) to {args.out_dir} "
        f"in {time.perf_counter() - t:.1f} s"
    )
    if args.score:
        score_dir(args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
