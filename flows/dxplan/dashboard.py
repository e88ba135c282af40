"""A static HTML dashboard of the published warehouse: ``warehouse/dashboard/index.html``.

One self-contained file (CSS, JS, data and charts inline; a Content-Security-Policy forbids
any network access), readable by double-clicking it. Charts are SVG drawn here in Python;
the small script in ``templates/dashboard.js`` only switches report years, sorts tables and
checks that every visible chart drew (``<body data-rendered="ok">``).

Sections, for the report year picked (the latest by default):
- overview: initiatives, KPIs, and KPIs by evaluation;
- KPI progress: actual against the year's target and against the plan's final target,
  coloured by the report's evaluation;
- department scorecard (a project of two departments counts for both);
- initiatives by pillar and area, 再掲 rows apart;
and, over all reports, the trend of each KPI (targets as printed by each report, actuals).

Reads the warehouse read-only. A missing warehouse, one without marts or one with empty
marts (the first build) gives an empty-state page, never an error.
"""

from __future__ import annotations

import html
import json
import math
import os
import string
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb

from dxplan import __version__

TITLE = "DX推進計画 KPIダッシュボード"
#: contract evaluation codes -> (CSS class, label); None = not evaluated
EVAL_CLASS = {"achieved": "achieved", "partially_achieved": "partial", "not_achieved": "not"}
EVAL_LABEL = {
    "achieved": "達成",
    "partially_achieved": "一部達成",
    "not_achieved": "未達成",
    None: "評価なし",
}
EVAL_ORDER = ("achieved", "partially_achieved", "not_achieved", None)
COLORS = {
    "achieved": "#2e7d32",
    "partially_achieved": "#f0a30a",
    "not_achieved": "#c62828",
    None: "#9aa5b1",
}
TRACK, ACCENT, RELISTED, OLD_TARGET, INK, MUTED = (
    "#e8ecf1",
    "#1565c0",
    "#9cc3ee",
    "#9fb3c8",
    "#37474f",
    "#5b6b7c",
)
COMPARATOR_WORDS = {
    "at_least": ("", "以上"),
    "at_most": ("", "以下"),
    "approximately": ("ほぼ", ""),
    "more_than": ("", "超"),
    "less_than": ("", "未満"),
}
#: audit.load_log status -> label
LOAD_STATUS_LABEL = {"published": "公開", "unchanged": "変更なし", "rejected": "却下"}
DEPT_SEPARATOR = "|"
NO_DEPARTMENT = "(担当不明)"
REQUIRED_TABLES = {
    "mart_kpi_progress",
    "fct_kpi_yearly",
    "dim_kpi",
    "dim_initiative",
    "dim_plan_item",
    "bridge_initiative_plan_item",
    "bridge_initiative_kpi",
}


# --------------------------------------------------------------------------- data


@dataclass
class KpiStatus:
    """One KPI in one report (a row of ``marts.mart_kpi_progress`` plus owners and texts)."""

    kpi_no: int
    indicator_name: str
    unit: str | None
    direction: str | None
    baseline_value: float | None
    target_value: float | None
    actual_value: float | None
    achievement_rate: float | None
    evaluation_code: str | None
    final_fiscal_year: int | None
    final_target_value: float | None
    progress_to_final: float | None
    target_text: str | None = None
    target_comparator: str | None = None
    actual_text: str | None = None
    departments: list[str] = field(default_factory=list)
    project_nos: list[int] = field(default_factory=list)


@dataclass
class PlanRow:
    """One table row of a report: an initiative under a plan item (再掲 included)."""

    pillar: str | None
    area_no: int | None
    area_name: str | None
    item_no: str | None
    item_name: str | None
    project_no: int | None
    project_name: str | None
    departments: list[str]
    is_relisted: bool
    evaluation_code: str | None


@dataclass
class KpiYear:
    kpi_no: int
    fiscal_year: int
    report_fiscal_year: int
    target_value: float | None
    actual_value: float | None
    evaluation_code: str | None


@dataclass
class DashboardData:
    reports: list[int] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # fiscal year -> 令和5年度
    as_of: dict[int, str] = field(default_factory=dict)  # report year -> actuals as of
    kpis: dict[int, list[KpiStatus]] = field(default_factory=dict)  # report year -> KPIs
    rows: dict[int, list[PlanRow]] = field(default_factory=dict)  # report year -> rows
    yearly: list[KpiYear] = field(default_factory=list)
    kpi_names: dict[int, tuple[str, str | None, float | None]] = field(default_factory=dict)
    loads: list[dict] = field(default_factory=list)
    problem: str | None = None  # why there is nothing to show

    @property
    def empty(self) -> bool:
        return not self.reports


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(DEPT_SEPARATOR) if p.strip()]


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_catalog = current_database()",
            [schema],
        ).fetchall()
    }


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def load_data(warehouse: Path) -> DashboardData:
    data = DashboardData()
    if not warehouse.exists():
        data.problem = "データベースファイル(dxplan.duckdb)がまだありません。"
        return data
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if "load_log" in _tables(con, "audit"):
            data.loads = _load_log(con)
        missing = REQUIRED_TABLES - _tables(con, "marts")
        if missing:
            data.problem = "集計テーブル(スキーマ marts)がまだ作成されていません。"
            return data
        _load_marts(con, data)
        if data.empty:
            data.problem = "公表済みの報告書がまだありません。"
    finally:
        con.close()
    return data


def _load_log(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The latest load log row of each file (what the last run did with it)."""
    return _dicts(
        con,
        """
        SELECT source_path, report_fiscal_year, status, finished_at, message
        FROM audit.load_log
        QUALIFY row_number() OVER (PARTITION BY source_path ORDER BY finished_at DESC) = 1
        ORDER BY report_fiscal_year NULLS LAST, source_path
    """,
    )


def _load_marts(con: duckdb.DuckDBPyConnection, data: DashboardData) -> None:
    data.reports = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT report_fiscal_year FROM marts.mart_kpi_progress "
            "UNION SELECT DISTINCT report_fiscal_year FROM marts.bridge_initiative_plan_item "
            "ORDER BY 1"
        ).fetchall()
        if r[0] is not None
    ]
    if not data.reports:
        return
    if "dim_fiscal_year" in _tables(con, "marts"):
        data.labels = dict(
            con.execute("SELECT fiscal_year, wareki_label FROM marts.dim_fiscal_year").fetchall()
        )
    data.as_of = {
        y: str(d)
        for y, d in con.execute(
            "SELECT report_fiscal_year, max(actual_as_of) FROM marts.fct_kpi_yearly "
            "GROUP BY ALL HAVING max(actual_as_of) IS NOT NULL"
        ).fetchall()
    }

    owners: dict[tuple[int, int], list[tuple[int | None, str | None]]] = defaultdict(list)
    for year, kpi_no, project_no, dept in con.execute("""
        SELECT b.report_fiscal_year, k.kpi_no, i.project_no, i.department
        FROM marts.bridge_initiative_kpi b
        JOIN marts.dim_kpi k USING (kpi_key)
        JOIN marts.dim_initiative i USING (initiative_key)
        WHERE NOT coalesce(b.is_relisted, false)
        ORDER BY i.project_no
    """).fetchall():
        owners[(year, kpi_no)].append((project_no, dept))
    texts = {
        (r["report_fiscal_year"], r["kpi_no"]): r
        for r in _dicts(
            con,
            """
        SELECT report_fiscal_year, kpi_no, target_text, target_comparator, actual_text
        FROM marts.fct_kpi_yearly WHERE fiscal_year = report_fiscal_year
    """,
        )
    }
    for r in _dicts(
        con,
        """
        SELECT report_fiscal_year, kpi_no, indicator_name, unit, direction, baseline_value,
               target_value, actual_value, achievement_rate, evaluation_code, final_fiscal_year,
               final_target_value, progress_to_final
        FROM marts.mart_kpi_progress ORDER BY report_fiscal_year, kpi_no
    """,
    ):
        year = r.pop("report_fiscal_year")
        t = texts.get((year, r["kpi_no"]), {})
        kpi = KpiStatus(
            **r,
            target_text=t.get("target_text"),
            target_comparator=t.get("target_comparator"),
            actual_text=t.get("actual_text"),
        )
        own = owners.get((year, kpi.kpi_no), [])
        kpi.project_nos = sorted({p for p, _ in own if p is not None})
        kpi.departments = list(dict.fromkeys(d for _, dept in own for d in _split(dept)))
        data.kpis.setdefault(year, []).append(kpi)

    status = (
        {
            (y, p): c
            for y, p, c in con.execute(
                "SELECT report_fiscal_year, project_no, evaluation_code FROM marts.fct_initiative_status"
            ).fetchall()
        }
        if "fct_initiative_status" in _tables(con, "marts")
        else {}
    )
    for r in _dicts(
        con,
        """
        SELECT b.report_fiscal_year, p.pillar, p.area_no, p.area_name, p.item_no, p.item_name,
               i.project_no, i.project_name, i.department, coalesce(b.is_relisted, false) AS is_relisted
        FROM marts.bridge_initiative_plan_item b
        JOIN marts.dim_plan_item p USING (plan_item_key)
        JOIN marts.dim_initiative i USING (initiative_key)
        ORDER BY b.report_fiscal_year, b.source_row_no
    """,
    ):
        year = r.pop("report_fiscal_year")
        dept = r.pop("department")
        data.rows.setdefault(year, []).append(
            PlanRow(
                **r, departments=_split(dept), evaluation_code=status.get((year, r["project_no"]))
            )
        )

    data.yearly = [
        KpiYear(*row)
        for row in con.execute("""
        SELECT kpi_no, fiscal_year, report_fiscal_year, target_value, actual_value, evaluation_code
        FROM marts.fct_kpi_yearly WHERE fiscal_year IS NOT NULL ORDER BY kpi_no, report_fiscal_year, fiscal_year
    """).fetchall()
    ]
    data.kpi_names = {
        n: (name, unit, base)
        for n, name, unit, base in con.execute(
            "SELECT kpi_no, indicator_name, unit, baseline_value FROM marts.dim_kpi"
        ).fetchall()
    }


# --------------------------------------------------------------------------- formatting


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt_num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def fmt_value(
    value: float | None, unit: str | None, text: str | None = None, comparator: str | None = None
) -> str:
    """A value with its unit as a reader expects it: 6,000台, 67.4%, ほぼ100%."""
    if value is None:
        return text or "—"
    before, after = COMPARATOR_WORDS.get(comparator or "", ("", ""))
    return f"{before}{fmt_num(value)}{unit or ''}{after}"


def fmt_pct(rate: float | None) -> str:
    if rate is None or math.isnan(rate):
        return "—"
    return f"{rate * 100:.1f}%" if abs(rate) < 0.1 else f"{rate * 100:.0f}%"


def short_year(fy: int | None) -> str:
    """2025 -> R7 (令和), 2018 -> H30 (平成)."""
    if fy is None:
        return "—"
    return f"R{fy - 2018}" if fy >= 2019 else f"H{fy - 1988}"


def year_label(data: DashboardData, fy: int) -> str:
    return data.labels.get(fy) or (f"令和{fy - 2018}年度" if fy >= 2019 else f"{fy}年度")


def badge(code: str | None) -> str:
    cls = EVAL_CLASS.get(code or "", "none")
    return f'<span class="badge {cls}">{EVAL_LABEL.get(code, EVAL_LABEL[None])}</span>'


def _attr_num(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.6g}"


# --------------------------------------------------------------------------- SVG charts


def svg_rate_bar(
    rate: float | None,
    code: str | None,
    *,
    width: int = 150,
    cap: float = 1.5,
    title: str = "",
    chart: str = "rate",
) -> str:
    """Horizontal bar of a share (1.0 = target): track to ``cap``, a tick at 100 %."""
    h = 14
    parts = [
        f'<svg data-chart="{chart}" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
        f'role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>',
        f'<rect x="0" y="2" width="{width}" height="{h - 4}" rx="2" fill="{TRACK}"/>',
    ]
    if rate is not None and not math.isnan(rate):
        w = max(0.0, min(rate, cap)) / cap * width
        parts.append(
            f'<rect x="0" y="2" width="{w:.1f}" height="{h - 4}" rx="2" '
            f'fill="{COLORS.get(code, COLORS[None])}"/>'
        )
        if rate > cap:
            parts.append(f'<path d="M{width - 7} 3 L{width - 1} 7 L{width - 7} 11 Z" fill="#fff"/>')
    x100 = width / cap
    parts.append(
        f'<line x1="{x100:.1f}" y1="0" x2="{x100:.1f}" y2="{h}" stroke="{INK}" stroke-width="1.5"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _arc(cx: float, cy: float, r_out: float, r_in: float, a0: float, a1: float) -> str:
    large = 1 if a1 - a0 > math.pi else 0

    def pt(r: float, a: float) -> str:
        return f"{cx + r * math.sin(a):.2f} {cy - r * math.cos(a):.2f}"

    return (
        f"M{pt(r_out, a0)} A{r_out} {r_out} 0 {large} 1 {pt(r_out, a1)} "
        f"L{pt(r_in, a1)} A{r_in} {r_in} 0 {large} 0 {pt(r_in, a0)} Z"
    )


def svg_donut(counts: dict[str | None, int], *, size: int = 190) -> str:
    total = sum(counts.values())
    cx = cy = size / 2
    r_out, r_in = size / 2 - 4, size / 2 - 30
    parts = [
        f'<svg data-chart="evaluation-donut" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="KPIの評価の内訳">'
    ]
    if total == 0:
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" fill="none" '
            f'stroke="{TRACK}" stroke-width="{r_out - r_in}"/>'
        )
    a = 0.0
    for code in EVAL_ORDER:
        n = counts.get(code, 0)
        if not n:
            continue
        span = 2 * math.pi * n / total
        if n == total:
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" fill="none" '
                f'stroke="{COLORS[code]}" stroke-width="{r_out - r_in}">'
                f"<title>{EVAL_LABEL[code]}: {n}</title></circle>"
            )
        else:
            parts.append(
                f'<path d="{_arc(cx, cy, r_out, r_in, a, a + span)}" fill="{COLORS[code]}" '
                f'stroke="#fff" stroke-width="1.5"><title>{EVAL_LABEL[code]}: {n}</title></path>'
            )
        a += span
    parts.append(
        f'<text x="{cx}" y="{cy - 2}" text-anchor="middle" font-size="30" '
        f'font-weight="700" fill="{INK}">{total}</text>'
    )
    parts.append(
        f'<text x="{cx}" y="{cy + 20}" text-anchor="middle" font-size="12" '
        f'fill="{MUTED}">KPI</text></svg>'
    )
    return "".join(parts)


def svg_stacked(
    segments: list[tuple[int, str, str]],
    scale_max: int,
    *,
    width: int = 260,
    chart: str = "stacked",
) -> str:
    """Stacked horizontal bar: (count, colour, label) segments, scaled to ``scale_max``."""
    h = 18
    parts = [
        f'<svg data-chart="{chart}" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
        f'role="img">',
        f'<rect x="0" y="0" width="{width}" height="{h}" rx="3" fill="#f4f6f9"/>',
    ]
    x = 0.0
    for n, color, label in segments:
        if n <= 0:
            continue
        w = n / max(scale_max, 1) * width
        dark_text = color in (COLORS["partially_achieved"], RELISTED, COLORS[None])
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{h}" fill="{color}">'
            f"<title>{esc(label)}: {n}</title></rect>"
        )
        if w >= 16:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{h - 5}" text-anchor="middle" font-size="11" '
                f'font-weight="600" fill="{"#1d2733" if dark_text else "#fff"}">{n}</text>'
            )
        x += w
    parts.append("</svg>")
    return "".join(parts)


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 0.5 and len(ticks) < 12:
        ticks.append(round(v, 10))
        v += step
    return ticks


def fmt_axis(ticks: list[float]) -> list[str]:
    """Tick labels in one style per axis: 16,000 / 1.5万 for millions / 2億."""
    top = max((abs(t) for t in ticks), default=0)
    div, suffix = (
        (100_000_000, "億")
        if top >= 100_000_000
        else ((10_000, "万") if top >= 1_000_000 else (1, ""))
    )
    d = _decimals(ticks, div)
    return ["0" if t == 0 else f"{t / div:,.{d}f}{suffix}" for t in ticks]


def _decimals(ticks: list[float], div: float) -> int:
    """The fewest decimals that show every tick exactly (2.5 -> 1)."""
    return next(
        (d for d in range(4) if all(abs(round(t / div, d) - t / div) < 1e-9 for t in ticks)), 3
    )


def svg_trend(
    kpi_no: int,
    years: list[int],
    baseline: float | None,
    targets: dict[int, list[tuple[int, float]]],
    actuals: list[tuple[int, float, str | None]],
    latest_report: int,
    *,
    width: int = 300,
    height: int = 160,
) -> str:
    """Targets as printed by each report (dashed; the latest darker), actuals (dots by evaluation)."""
    ml, mr, mt, mb = 44, 10, 10, 22
    values = [v for pts in targets.values() for _, v in pts] + [v for _, v, _ in actuals]
    if baseline is not None:
        values.append(baseline)
    parts = [
        f'<svg data-chart="trend-{kpi_no}" width="100%" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="KPI {kpi_no} の推移">'
    ]
    pw, ph = width - ml - mr, height - mt - mb
    if not values or not years:
        parts.append(
            f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fafbfc"/>'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}">数値データなし</text></svg>'
        )
        return "".join(parts)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1
    lo, hi = (lo - pad if lo < 0 else max(0.0, lo - pad)), hi + pad
    ticks = nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

    def x(fy: int) -> float:
        if len(years) == 1:
            return ml + pw / 2
        return ml + (fy - years[0]) / (years[-1] - years[0]) * pw

    def y(v: float) -> float:
        return mt + ph - (v - lo) / (hi - lo) * ph

    for t, label in zip(ticks, fmt_axis(ticks), strict=True):
        parts.append(
            f'<line x1="{ml}" y1="{y(t):.1f}" x2="{width - mr}" y2="{y(t):.1f}" '
            f'stroke="#edf0f4"/><text x="{ml - 5}" y="{y(t) + 3.5:.1f}" text-anchor="end" '
            f'font-size="10" fill="{MUTED}">{label}</text>'
        )
    for fy in years:
        parts.append(
            f'<text x="{x(fy):.1f}" y="{height - 6}" text-anchor="middle" font-size="10" '
            f'fill="{MUTED}">{short_year(fy)}</text>'
        )
    if baseline is not None:
        parts.append(
            f'<line x1="{ml}" y1="{y(baseline):.1f}" x2="{width - mr}" y2="{y(baseline):.1f}" '
            f'stroke="#7b8794" stroke-dasharray="2 3"><title>基準値 {fmt_num(baseline)}</title>'
            f"</line>"
        )
    for report in sorted(targets):
        pts = targets[report]
        color, w = (ACCENT, 2) if report == latest_report else (OLD_TARGET, 1.5)
        coords = " ".join(f"{x(fy):.1f},{y(v):.1f}" for fy, v in pts)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="{w}" '
            f'stroke-dasharray="5 3"><title>{short_year(report)}報告の目標値</title></polyline>'
        )
        for fy, v in pts:
            parts.append(
                f'<circle cx="{x(fy):.1f}" cy="{y(v):.1f}" r="2.2" fill="{color}">'
                f"<title>{short_year(report)}報告 {short_year(fy)}目標 {fmt_num(v)}</title></circle>"
            )
    if len(actuals) > 1:
        coords = " ".join(f"{x(fy):.1f},{y(v):.1f}" for fy, v, _ in actuals)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{INK}" stroke-width="2"/>')
    for fy, v, code in actuals:
        parts.append(
            f'<circle cx="{x(fy):.1f}" cy="{y(v):.1f}" r="4.5" fill="{COLORS.get(code, COLORS[None])}" '
            f'stroke="#fff" stroke-width="1.5"><title>{short_year(fy)}実績 {fmt_num(v)} '
            f"({EVAL_LABEL.get(code, EVAL_LABEL[None])})</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- sections


def _legend(items: list[tuple[str, str]]) -> str:
    return (
        '<div class="legend">'
        + "".join(f'<span><i class="{cls}"></i>{esc(label)}</span>' for cls, label in items)
        + "</div>"
    )


EVAL_LEGEND = [
    ("sw-achieved", "達成"),
    ("sw-partial", "一部達成"),
    ("sw-not", "未達成"),
    ("sw-none", "評価なし"),
]


def section_overview(data: DashboardData, year: int) -> str:
    kpis = data.kpis.get(year, [])
    rows = data.rows.get(year, [])
    counts = {code: sum(1 for k in kpis if k.evaluation_code == code) for code in EVAL_ORDER}
    own = {r.project_no for r in rows if not r.is_relisted}
    relisted = sum(1 for r in rows if r.is_relisted)
    rates = sorted(k.achievement_rate for k in kpis if k.achievement_rate is not None)
    median = (
        rates[len(rates) // 2]
        if len(rates) % 2
        else ((rates[len(rates) // 2 - 1] + rates[len(rates) // 2]) / 2 if rates else None)
    )
    tiles = [
        ("", "事業数", f"{len(own)}<small>事業</small>"),
        ("", "再掲", f"{relisted}<small>行</small>"),
        ("", "KPI数", f"{len(kpis)}<small>指標</small>"),
        ("", "達成率の中央値", fmt_pct(median)),
        ("achieved", "達成", f"{counts['achieved']}<small>指標</small>"),
        ("partial", "一部達成", f"{counts['partially_achieved']}<small>指標</small>"),
        ("not", "未達成", f"{counts['not_achieved']}<small>指標</small>"),
        ("none", "評価なし", f"{counts[None]}<small>指標</small>"),
    ]
    tiles_html = "".join(
        f'<div class="tile {cls}"><div class="k">{k}</div><div class="v">{v}</div></div>'
        for cls, k, v in tiles
    )
    as_of = data.as_of.get(year)
    note = f"{esc(year_label(data, year))}の報告" + (f"(実績は{esc(as_of)}時点)" if as_of else "")
    return (
        f'<section class="card" id="overview"><h2>概要</h2><p class="note">{note}</p>'
        f'<div class="overview"><div class="tiles">{tiles_html}</div>'
        f'<div class="donut">{svg_donut(counts)}{_legend(EVAL_LEGEND)}</div></div></section>'
    )


def section_kpi_progress(data: DashboardData, year: int) -> str:
    kpis = data.kpis.get(year, [])
    finals = sorted({k.final_fiscal_year for k in kpis if k.final_fiscal_year})
    final_label = short_year(finals[-1]) if len(finals) == 1 else "最終"
    head = (
        '<tr><th data-sort="num" class="num">No</th><th data-sort="text">指標名 / 担当</th>'
        '<th class="num" data-sort="num">基準値</th>'
        f'<th class="num" data-sort="num">{short_year(year)}目標</th>'
        f'<th class="num" data-sort="num">{short_year(year)}実績</th>'
        '<th data-sort="num">年度目標に対する達成率</th><th data-sort="text">評価</th>'
        f'<th class="num" data-sort="num">{final_label}目標</th>'
        f'<th data-sort="num">{final_label}目標への進捗(基準値→目標)</th></tr>'
    )
    body = []
    for k in kpis:
        who = "・".join(k.departments) or NO_DEPARTMENT
        projects = "、".join(f"No.{p}" for p in k.project_nos)
        rate_title = (
            f"KPI {k.kpi_no} 達成率 {fmt_pct(k.achievement_rate)}"
            f"(実績 {fmt_value(k.actual_value, k.unit)} / 目標 {fmt_value(k.target_value, k.unit)})"
        )
        prog_title = (
            f"KPI {k.kpi_no} {short_year(k.final_fiscal_year)}目標への進捗 "
            f"{fmt_pct(k.progress_to_final)}(基準 {fmt_value(k.baseline_value, k.unit)} → "
            f"目標 {fmt_value(k.final_target_value, k.unit)})"
        )
        body.append(
            f'<tr><td class="no" data-v="{k.kpi_no}">{k.kpi_no}</td>'
            f'<td class="name">{esc(k.indicator_name)}'
            f'<span class="dept">{esc(who)}{(" " + esc(projects)) if projects else ""}</span></td>'
            f'<td class="num" data-v="{_attr_num(k.baseline_value)}">{esc(fmt_value(k.baseline_value, k.unit))}</td>'
            f'<td class="num" data-v="{_attr_num(k.target_value)}">'
            f"{esc(fmt_value(k.target_value, k.unit, k.target_text, k.target_comparator))}</td>"
            f'<td class="num" data-v="{_attr_num(k.actual_value)}">'
            f"{esc(fmt_value(k.actual_value, k.unit, k.actual_text))}</td>"
            f'<td class="bar" data-v="{_attr_num(k.achievement_rate)}">'
            f"{svg_rate_bar(k.achievement_rate, k.evaluation_code, title=rate_title, chart='kpi-rate')}"
            f'<span class="pct">{fmt_pct(k.achievement_rate)}</span></td>'
            f'<td data-v="{EVAL_ORDER.index(k.evaluation_code) if k.evaluation_code in EVAL_ORDER else 9}">'
            f"{badge(k.evaluation_code)}</td>"
            f'<td class="num" data-v="{_attr_num(k.final_target_value)}">'
            f"{esc(fmt_value(k.final_target_value, k.unit))}</td>"
            f'<td class="bar" data-v="{_attr_num(k.progress_to_final)}">'
            f"{svg_rate_bar(k.progress_to_final, k.evaluation_code, cap=1.2, title=prog_title, chart='kpi-final')}"
            f'<span class="pct">{fmt_pct(k.progress_to_final)}</span></td></tr>'
        )
    if not body:
        body.append('<tr><td colspan="9">この報告にはKPIがありません。</td></tr>')
    note = (
        "達成率 = 実績 ÷ 目標(少ないほど良い指標は 目標 ÷ 実績)。縦線が100%、色は報告書の評価。"
        "進捗 = (実績 − 基準値) ÷ (最終目標 − 基準値)。列見出しをクリックすると並べ替えます。"
    )
    return (
        f'<section class="card" id="kpi-progress"><h2>KPIの進捗</h2><p class="note">{note}</p>'
        f'{_legend(EVAL_LEGEND)}<table class="data sortable"><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )


@dataclass
class DeptScore:
    name: str
    projects: set = field(default_factory=set)
    kpis: dict = field(default_factory=dict)  # kpi_no -> KpiStatus

    def count(self, code: str | None) -> int:
        return sum(1 for k in self.kpis.values() if k.evaluation_code == code)

    @property
    def behind(self) -> int:
        return self.count("not_achieved") + self.count("partially_achieved")

    @property
    def mean_rate(self) -> float | None:
        rates = [k.achievement_rate for k in self.kpis.values() if k.achievement_rate is not None]
        return sum(rates) / len(rates) if rates else None


def department_scores(data: DashboardData, year: int) -> list[DeptScore]:
    depts: dict[str, DeptScore] = {}
    for r in data.rows.get(year, []):
        if r.is_relisted:
            continue
        for d in r.departments or [NO_DEPARTMENT]:
            depts.setdefault(d, DeptScore(d)).projects.add(r.project_no)
    for k in data.kpis.get(year, []):
        for d in k.departments or [NO_DEPARTMENT]:
            depts.setdefault(d, DeptScore(d)).kpis[k.kpi_no] = k
    return sorted(depts.values(), key=lambda s: (-s.behind, -len(s.kpis), -len(s.projects), s.name))


def section_departments(data: DashboardData, year: int) -> str:
    scores = department_scores(data, year)
    scale = max((len(s.kpis) for s in scores), default=1)
    rows = []
    for s in scores:
        segs = [(s.count(c), COLORS[c], EVAL_LABEL[c]) for c in EVAL_ORDER]
        rows.append(
            f'<tr><td class="name">{esc(s.name)}</td>'
            f'<td class="num" data-v="{len(s.projects)}">{len(s.projects)}</td>'
            f'<td class="num" data-v="{len(s.kpis)}">{len(s.kpis)}</td>'
            f'<td class="bar" data-v="{len(s.kpis)}">'
            f"{svg_stacked(segs, scale, chart='dept-kpis')}</td>"
            f'<td class="num" data-v="{s.count("achieved")}">{s.count("achieved")}</td>'
            f'<td class="num" data-v="{s.behind}">{s.behind}</td>'
            f'<td class="num" data-v="{_attr_num(s.mean_rate)}">{fmt_pct(s.mean_rate)}</td></tr>'
        )
    head = (
        '<tr><th data-sort="text">担当部</th><th class="num" data-sort="num">事業数</th>'
        '<th class="num" data-sort="num">KPI数</th><th data-sort="num">KPIの評価</th>'
        '<th class="num" data-sort="num">達成</th><th class="num" data-sort="num">未達成・一部達成</th>'
        '<th class="num" data-sort="num">平均達成率</th></tr>'
    )
    note = (
        "事業数は再掲を除く。KPIはそのKPIを定める事業(再掲でない行)の担当部に数える。"
        "複数部の事業は各部に数える。未達成・一部達成の多い順。"
    )
    return (
        f'<section class="card" id="departments"><h2>部局別スコアカード</h2>'
        f'<p class="note">{note}</p>{_legend(EVAL_LEGEND)}<table class="data sortable">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def section_initiatives(data: DashboardData, year: int) -> str:
    rows = data.rows.get(year, [])
    areas: dict[tuple, list[PlanRow]] = defaultdict(list)
    for r in rows:
        areas[(r.pillar or "", r.area_no or 0, r.area_name or "")].append(r)
    scale = max((len(v) for v in areas.values()), default=1)
    out, last_pillar = [], None
    for (pillar, area_no, area_name), members in sorted(areas.items(), key=_pillar_sort):
        if pillar != last_pillar:
            out.append(
                f'<div class="pillar-head">{esc("柱 " + pillar if pillar else "柱不明")}</div>'
            )
            last_pillar = pillar
        own = sum(1 for r in members if not r.is_relisted)
        rel = len(members) - own
        items: dict[tuple, list[PlanRow]] = defaultdict(list)
        for r in members:
            items[(r.item_no or "", r.item_name or "")].append(r)
        lis = []
        for (item_no, item_name), rs in items.items():
            names = "、".join(
                f"No.{esc(r.project_no)} {esc(r.project_name)}"
                + (' <span class="badge relisted">再掲</span>' if r.is_relisted else "")
                for r in rs
            )
            label = (
                f"({esc(item_no)}) {esc(item_name)}" if item_name else f"({esc(item_no or '—')})"
            )
            lis.append(f"<li><b>{label}</b>: {names}</li>")
        out.append(
            f'<div class="area-row"><div class="lbl"><b>{esc(pillar)}-{esc(area_no)}</b>{esc(area_name)}'
            f'<details class="area"><summary>{len(items)}項目・{own}事業・再掲{rel}</summary>'
            f"<ul>{''.join(lis)}</ul></details></div>"
            f"<div>{svg_stacked([(own, ACCENT, '事業'), (rel, RELISTED, '再掲')], scale, width=520, chart='area')}"
            f"</div></div>"
        )
    if not rows:
        out.append('<p class="note">この報告には事業がありません。</p>')
    legend = _legend([("sw-own", "事業(本掲)"), ("sw-relisted", "再掲")])
    return (
        f'<section class="card" id="initiatives"><h2>柱・分野別の事業</h2>'
        f'<p class="note">報告書の表の行数。再掲は同じ事業を別の項目に再び掲げた行。'
        f"分野名をクリックすると項目と事業を表示します。</p>{legend}{''.join(out)}</section>"
    )


def _pillar_sort(item: tuple) -> tuple:
    (pillar, area_no, _), _ = item
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4}
    return (roman.get(pillar, 99), pillar, area_no)


def section_trends(data: DashboardData) -> str:
    latest = data.reports[-1]
    by_kpi: dict[int, list[KpiYear]] = defaultdict(list)
    for r in data.yearly:
        by_kpi[r.kpi_no].append(r)
    latest_status = {k.kpi_no: k for k in data.kpis.get(latest, [])}
    cards = []
    for kpi_no in sorted(set(by_kpi) | set(latest_status)):
        rows = by_kpi.get(kpi_no, [])
        targets: dict[int, list[tuple[int, float]]] = defaultdict(list)
        actual_by_year: dict[int, tuple[int, float, str | None]] = {}
        for r in rows:
            if r.target_value is not None:
                targets[r.report_fiscal_year].append((r.fiscal_year, r.target_value))
            if r.actual_value is not None:  # a later report's actual for a year wins
                prev = actual_by_year.get(r.fiscal_year)
                if prev is None or r.report_fiscal_year >= prev[0]:
                    actual_by_year[r.fiscal_year] = (
                        r.report_fiscal_year,
                        r.actual_value,
                        r.evaluation_code,
                    )
        actuals = [(fy, v, c) for fy, (_, v, c) in sorted(actual_by_year.items())]
        years = sorted({r.fiscal_year for r in rows})
        name, unit, baseline = data.kpi_names.get(kpi_no, (f"KPI {kpi_no}", None, None))
        status = latest_status.get(kpi_no)
        meta = (
            f"<span>{badge(status.evaluation_code if status else None)}</span>"
            f"<span>単位: {esc(unit or '—')}</span>"
        )
        cards.append(
            f'<div class="trend"><h3><span class="kno">{kpi_no}</span>{esc(name)}</h3>'
            f'<div class="meta">{meta}</div>'
            f"{svg_trend(kpi_no, years, baseline, dict(targets), actuals, latest)}</div>"
        )
    several = len(data.reports) > 1
    note = (
        "破線は各報告書に印刷された年度別の目標値(濃い青が最新の報告、薄い色は以前の報告)、"
        "点は実績値(色は評価)、点線は基準値。"
    )
    if not several:
        note += " 報告書が1年分のため実績は1点です。翌年度以降の報告を読み込むと推移が線で表示されます。"
    legend = _legend(
        [
            ("line", f"{short_year(latest)}報告の目標値"),
            ("line old", "以前の報告の目標値"),
            ("line base", "基準値"),
        ]
        + EVAL_LEGEND
    )
    return (
        f'<section class="card" id="trends"><h2>KPIの推移</h2><p class="note">{esc(note)}</p>'
        f'{legend}<div class="trend-grid">{"".join(cards)}</div></section>'
    )


def section_loads(data: DashboardData) -> str:
    if not data.loads:
        return ""
    rows = "".join(
        f"<tr><td>{esc(Path(r['source_path'] or '').name)}</td>"
        f'<td class="num">{esc(r["report_fiscal_year"])}</td>'
        f'<td class="status-{esc(r["status"])}">'
        f"{esc(LOAD_STATUS_LABEL.get(r['status'], r['status']))}</td>"
        f"<td>{esc(str(r['finished_at'])[:19])}</td><td>{esc(r['message'])}</td></tr>"
        for r in data.loads
    )
    return (
        '<section class="card" id="loads"><h2>読み込んだ報告書</h2>'
        '<p class="note">各ファイルの最新の読込結果(audit.load_log)。</p>'
        '<table class="data"><thead><tr><th>ファイル</th><th class="num">報告年度</th><th>状態</th>'
        f"<th>日時</th><th>メッセージ</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def section_empty(data: DashboardData) -> str:
    return (
        '<section class="card empty-state" id="empty"><h2>まだ表示できるデータがありません</h2>'
        f"<p>{esc(data.problem or '')}</p>"
        "<p>年度ごとの報告書ファイルを <code>raw/</code> に置き、<code>dxplan run</code> "
        "を実行すると、このページが更新されます。</p>"
        f'<div data-chart="empty-donut">{svg_donut({})}</div></section>'
    )


# --------------------------------------------------------------------------- page


def _template(name: str) -> str:
    return resources.files("dxplan").joinpath("templates", name).read_text(encoding="utf-8")


def _json_for_script(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(data: DashboardData, generated_at: datetime, source_name: str) -> str:
    if data.empty:
        body = section_empty(data) + section_loads(data)
        subtitle = "デジタル変革(DX)推進基本方針及びデジタル化推進計画 関連事業 取組一覧"
        picker = ""
    else:
        latest = data.reports[-1]
        parts = []
        for year in data.reports:
            hidden = "" if year == latest else " hidden"
            parts.append(
                f'<div data-report="{year}"{hidden}>'
                + section_overview(data, year)
                + section_kpi_progress(data, year)
                + section_departments(data, year)
                + section_initiatives(data, year)
                + "</div>"
            )
        body = "".join(parts) + section_trends(data) + section_loads(data)
        subtitle = (
            "デジタル変革(DX)推進基本方針及びデジタル化推進計画 関連事業 取組一覧 ― "
            f"報告書 {len(data.reports)}年度分({esc(year_label(data, data.reports[0]))}"
            + (f"〜{esc(year_label(data, latest))}" if len(data.reports) > 1 else "")
            + ")"
        )
        options = "".join(
            f'<option value="{y}"{" selected" if y == latest else ""}>{esc(year_label(data, y))}</option>'
            for y in reversed(data.reports)
        )
        picker = (
            f'<label for="report-picker">報告年度</label><select id="report-picker">{options}</select>'
            if len(data.reports) > 1
            else f"報告年度: {esc(year_label(data, latest))}"
        )
    footer = (
        f"<p>作成: {generated_at:%Y-%m-%d %H:%M} ・ データ: {esc(source_name)}(読み取り専用で参照)"
        " ・ dxplan が公開のたびに再作成します。</p>"
        "<p>評価は報告書の記載(達成・一部達成・未達成、記載なしは「評価なし」)。"
        "数値は報告書の単位のまま。詳細な定義は docs/BI.md と warehouse-contract.md を参照。</p>"
    )
    payload = {
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "reports": data.reports,
        "kpi_count": len(data.kpis.get(data.reports[-1], [])) if data.reports else 0,
        "kpis": {str(y): [k.__dict__ for k in ks] for y, ks in data.kpis.items()},
    }
    return string.Template(_template("dashboard.html")).substitute(
        version=esc(__version__),
        title=esc(TITLE),
        subtitle=subtitle,
        report_picker=picker,
        state="empty" if data.empty else "data",
        body=body,
        footer=footer,
        data_json=_json_for_script(payload),
        css=_template("dashboard.css"),
        js=_template("dashboard.js"),
    )


def write_dashboard(warehouse: Path, out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` from the warehouse (opened read-only); returns its path."""
    warehouse, out_dir = Path(warehouse), Path(out_dir)
    data = load_data(warehouse)
    page = render(data, datetime.now().astimezone(), warehouse.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    fd, tmp = tempfile.mkstemp(prefix=".index.", suffix=".html.tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
