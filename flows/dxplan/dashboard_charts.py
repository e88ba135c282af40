"""Numbers as a reader expects them, and the geometry of the dashboard's SVG charts.

Pure functions: they return numbers, strings and small records; the Jinja2 templates
(``templates/_charts.html``) draw them, with autoescape on, so nothing here builds markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: contract evaluation codes -> colour; None = not evaluated
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


# --------------------------------------------------------------------------- numbers


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


def attr_num(value: float | None) -> str:
    """A sort key for a ``data-v`` attribute ('' sorts last)."""
    return "" if value is None or math.isnan(value) else f"{value:.6g}"


def short_year(fy: int | None, labels: dict[int, str] | None = None) -> str:
    """R7 for 2025: the label of ``marts.dim_fiscal_year.wareki_short_label`` when given.

    Without labels (a year outside the dimension) the era rule of the contract is used.
    """
    if fy is None:
        return "—"
    if labels and fy in labels:
        return labels[fy]
    return f"R{fy - 2018}" if fy >= 2019 else f"H{fy - 1988}"


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


# --------------------------------------------------------------------------- chart geometry


@dataclass
class RateBar:
    """Horizontal bar of a share (1.0 = target): track to ``cap``, a tick at 100 %."""

    chart: str
    title: str
    width: int
    height: int
    fill_width: float | None  # None: no rate, track only
    color: str
    overflow: bool  # the rate is beyond the cap: an arrow at the end
    x100: float


def rate_bar(
    rate: float | None,
    code: str | None,
    *,
    title: str,
    chart: str,
    width: int = 150,
    cap: float = 1.5,
) -> RateBar:
    has = rate is not None and not math.isnan(rate)
    return RateBar(
        chart=chart,
        title=title,
        width=width,
        height=14,
        fill_width=round(max(0.0, min(rate, cap)) / cap * width, 1) if has else None,
        color=COLORS.get(code, COLORS[None]),
        overflow=has and rate > cap,
        x100=round(width / cap, 1),
    )


@dataclass
class Segment:
    color: str
    title: str
    path: str | None = None  # None: the whole ring


@dataclass
class Donut:
    size: int
    center: float
    ring_radius: float
    ring_width: float
    total: int
    segments: list[Segment] = field(default_factory=list)


def donut(counts: list[tuple[str | None, str, int]], *, size: int = 190) -> Donut:
    """Ring of (code, label, count) in the given order."""
    total = sum(n for _, _, n in counts)
    c = size / 2
    r_out, r_in = c - 4, c - 30
    chart = Donut(size, c, (r_out + r_in) / 2, r_out - r_in, total)
    a = 0.0
    for code, label, n in counts:
        if not n:
            continue
        color, title = COLORS.get(code, COLORS[None]), f"{label}: {n}"
        if n == total:
            chart.segments.append(Segment(color, title))
            continue
        span = 2 * math.pi * n / total
        chart.segments.append(Segment(color, title, _arc(c, c, r_out, r_in, a, a + span)))
        a += span
    return chart


def _arc(cx: float, cy: float, r_out: float, r_in: float, a0: float, a1: float) -> str:
    large = 1 if a1 - a0 > math.pi else 0

    def pt(r: float, a: float) -> str:
        return f"{cx + r * math.sin(a):.2f} {cy - r * math.cos(a):.2f}"

    return (
        f"M{pt(r_out, a0)} A{r_out} {r_out} 0 {large} 1 {pt(r_out, a1)} "
        f"L{pt(r_in, a1)} A{r_in} {r_in} 0 {large} 0 {pt(r_in, a0)} Z"
    )


@dataclass
class StackedPart:
    x: float
    width: float
    color: str
    title: str
    count: int
    text_color: str | None  # None: too narrow for the number


@dataclass
class Stacked:
    chart: str
    width: int
    height: int
    parts: list[StackedPart]


def stacked(
    segments: list[tuple[int, str, str]], scale_max: int, *, chart: str, width: int = 260
) -> Stacked:
    """Stacked horizontal bar: (count, colour, label) segments, scaled to ``scale_max``."""
    parts, x = [], 0.0
    dark_text = {COLORS["partially_achieved"], RELISTED, COLORS[None]}
    for n, color, label in segments:
        if n <= 0:
            continue
        w = n / max(scale_max, 1) * width
        text = ("#1d2733" if color in dark_text else "#fff") if w >= 16 else None
        parts.append(StackedPart(round(x, 1), round(w, 1), color, f"{label}: {n}", n, text))
        x += w
    return Stacked(chart, width, 18, parts)


@dataclass
class Dot:
    x: float
    y: float
    color: str
    title: str


@dataclass
class Line:
    points: str
    color: str
    width: float
    title: str
    dots: list[Dot] = field(default_factory=list)


@dataclass
class Trend:
    kpi_no: int
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    empty: bool = False
    yticks: list[tuple[float, str]] = field(default_factory=list)
    xlabels: list[tuple[float, str]] = field(default_factory=list)
    baseline: tuple[float, str] | None = None
    targets: list[Line] = field(default_factory=list)
    actual_line: str | None = None
    actuals: list[Dot] = field(default_factory=list)


def trend(
    kpi_no: int,
    years: list[int],
    baseline: float | None,
    targets: dict[int, list[tuple[int, float]]],
    actuals: list[tuple[int, float, str, str]],
    latest_report: int,
    year_label,
    *,
    width: int = 300,
    height: int = 160,
) -> Trend:
    """Targets as printed by each report (the latest darker); actuals as (year, value,
    colour, evaluation label) dots; ``year_label`` names a fiscal year (R5)."""
    ml, mr, mt, mb = 44, 10, 10, 22
    chart = Trend(kpi_no, width, height, ml, mt, width - ml - mr, height - mt - mb)
    values = [v for pts in targets.values() for _, v in pts] + [v for _, v, *_ in actuals]
    if baseline is not None:
        values.append(baseline)
    if not values or not years:
        chart.empty = True
        return chart
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1
    lo, hi = (lo - pad if lo < 0 else max(0.0, lo - pad)), hi + pad
    ticks = nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    pw, ph = chart.plot_width, chart.plot_height

    def x(fy: int) -> float:
        if len(years) == 1:
            return round(ml + pw / 2, 1)
        return round(ml + (fy - years[0]) / (years[-1] - years[0]) * pw, 1)

    def y(v: float) -> float:
        return round(mt + ph - (v - lo) / (hi - lo) * ph, 1)

    chart.yticks = [(y(t), label) for t, label in zip(ticks, fmt_axis(ticks), strict=True)]
    chart.xlabels = [(x(fy), year_label(fy)) for fy in years]
    if baseline is not None:
        chart.baseline = (y(baseline), f"基準値 {fmt_num(baseline)}")
    for report in sorted(targets):
        color, w = (ACCENT, 2) if report == latest_report else (OLD_TARGET, 1.5)
        pts = targets[report]
        chart.targets.append(
            Line(
                " ".join(f"{x(fy)},{y(v)}" for fy, v in pts),
                color,
                w,
                f"{year_label(report)}報告の目標値",
                [
                    Dot(
                        x(fy),
                        y(v),
                        color,
                        f"{year_label(report)}報告 {year_label(fy)}目標 {fmt_num(v)}",
                    )
                    for fy, v in pts
                ],
            )
        )
    if len(actuals) > 1:
        chart.actual_line = " ".join(f"{x(fy)},{y(v)}" for fy, v, *_ in actuals)
    chart.actuals = [
        Dot(x(fy), y(v), color, f"{year_label(fy)}実績 {fmt_num(v)}({label})")
        for fy, v, color, label in actuals
    ]
    return chart
