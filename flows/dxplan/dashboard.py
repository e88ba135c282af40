"""A static HTML dashboard of the published warehouse: ``warehouse/dashboard/index.html``.

One self-contained file (CSS, JS, data and charts inline), readable by double-clicking it.
Its Content-Security-Policy forbids any network access and allows only the page's own
style and script, by hash (no 'unsafe-inline'). The page is rendered from the Jinja2
templates in ``templates/`` with autoescape on; the charts are SVG drawn by the templates
from the geometry of :mod:`dxplan.dashboard_charts`; the data comes from the marts
(:mod:`dxplan.dashboard_data`). The script ``templates/dashboard.js`` only switches report
years, sorts tables and checks that every visible chart drew (``<body data-rendered="ok">``).

Sections, for the report year picked (the latest by default):
- overview: initiatives, KPIs, KPIs by evaluation, and the trust summary;
- KPI progress: actual against the year's target and the plan's final target, coloured by
  the report's evaluation; values the parser repaired (補) or inferred (推) are marked, with
  the repair and its source in the tooltip and the row's detail; evaluations that disagree
  with the numbers are flagged 要確認;
- data trust: every repaired KPI value with its source, and the disagreeing evaluations;
- department scorecard (``marts.mart_department_scorecard``);
- initiatives by pillar and area, 再掲 rows apart;
and, over all reports, the trend of each KPI (targets as printed by each report, actuals).
When ``dbt_docs.html`` (the offline dbt docs, :mod:`dxplan.dbt_docs`) is beside the page,
the page links it.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from dxplan import __version__
from dxplan.dashboard_charts import (  # noqa: F401 - re-exported for callers and tests
    ACCENT,
    COLORS,
    INK,
    MUTED,
    OLD_TARGET,
    RELISTED,
    TRACK,
    attr_num,
    donut,
    fmt_axis,
    fmt_num,
    fmt_pct,
    fmt_value,
    nice_ticks,
    rate_bar,
    short_year,
    stacked,
    trend,
)
from dxplan.dashboard_data import (  # noqa: F401 - re-exported
    DashboardData,
    DeptScore,
    KpiStatus,
    PlanRow,
    load_data,
)
from dxplan.dbt_docs import DOCS_FILE

TITLE = "DX推進計画 KPIダッシュボード"
SUBTITLE = "デジタル変革(DX)推進基本方針及びデジタル化推進計画 関連事業 取組一覧"
#: contract evaluation codes -> CSS class; None = not evaluated
EVAL_CLASS = {"achieved": "achieved", "partially_achieved": "partial", "not_achieved": "not"}
#: audit.load_log status -> label
LOAD_STATUS_LABEL = {"published": "公開", "unchanged": "変更なし", "rejected": "却下"}
#: mart_kpi_value_trust.repair_kind -> label (its first character is the marker)
KIND_LABEL = {"repaired": "補正", "inferred": "推定", "dropped": "除去"}
ROLE_LABEL = {
    "baseline": "基準値",
    "target": "目標値",
    "actual": "実績値",
    "evaluation": "評価",
    "indicator_name": "指標名",
    "kpi_no": "KPI番号",
    "other": "数値欄",
}
NO_DEPARTMENT = "(担当不明)"


def esc(value: object) -> str:
    """The text as the page shows it (Jinja's autoescape), for callers that look for it."""
    return str(escape("" if value is None else value))


def department_scores(data: DashboardData, year: int) -> list[DeptScore]:
    """The department scorecard of a report, ranked (``marts.mart_department_scorecard``)."""
    return sorted(data.scorecards.get(year, []), key=lambda s: s.rank)


# --------------------------------------------------------------------------- view records


@dataclass
class KpiRow:
    kpi: KpiStatus
    who: str
    projects: str
    eval_rank: int
    rate_bar: object
    final_bar: object
    name_repairs: list = field(default_factory=list)
    baseline_repairs: list = field(default_factory=list)
    target_repairs: list = field(default_factory=list)
    actual_repairs: list = field(default_factory=list)
    evaluation_repairs: list = field(default_factory=list)
    final_repairs: list = field(default_factory=list)


@dataclass
class Area:
    pillar_head: str | None
    pillar: str
    area_no: int
    area_name: str
    own: int
    relisted: int
    items: list[tuple[str, list[PlanRow]]]
    bar: object


@dataclass
class ReportView:
    year: int
    latest: bool
    label: str
    short: str
    as_of: str | None
    tiles: list[tuple[str, str, str, str]]
    donut: object
    repaired_values: int
    repaired_kpis: int
    disagreements: int
    final_label: str
    kpi_rows: list[KpiRow]
    flagged: list[KpiStatus]
    repairs: list[tuple[KpiStatus, object]]
    departments: list[tuple[DeptScore, object]]
    areas: list[Area]


def _year_label(data: DashboardData, fy: int) -> str:
    return data.labels.get(fy) or f"{fy}年度"


def _short(data: DashboardData, fy: int | None) -> str:
    return short_year(fy, data.short_labels)


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    n = len(values)
    if not n:
        return None
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def _kpi_row(data: DashboardData, k: KpiStatus, year: int) -> KpiRow:
    short_final = _short(data, k.final_fiscal_year)
    rate_title = (
        f"KPI {k.kpi_no} 達成率 {fmt_pct(k.achievement_rate)}"
        f"(実績 {fmt_value(k.actual_value, k.unit)} / 目標 {fmt_value(k.target_value, k.unit)})"
    )
    prog_title = (
        f"KPI {k.kpi_no} {short_final}目標への進捗 {fmt_pct(k.progress_to_final)}"
        f"(基準 {fmt_value(k.baseline_value, k.unit)} → 目標 {fmt_value(k.final_target_value, k.unit)})"
    )
    final_is_other = k.final_fiscal_year is not None and k.final_fiscal_year != year
    return KpiRow(
        kpi=k,
        who="・".join(k.departments) or NO_DEPARTMENT,
        projects="、".join(f"No.{p}" for p in k.project_nos),
        eval_rank=next(
            (i for i, e in enumerate(data.evaluations) if e.code == k.evaluation_code), 9
        ),
        rate_bar=rate_bar(
            k.achievement_rate, k.evaluation_code, title=rate_title, chart="kpi-rate"
        ),
        final_bar=rate_bar(
            k.progress_to_final, k.evaluation_code, cap=1.2, title=prog_title, chart="kpi-final"
        ),
        name_repairs=k.repairs_of("indicator_name") + k.repairs_of("kpi_no"),
        baseline_repairs=k.repairs_of("baseline"),
        target_repairs=k.repairs_of("target", year),
        actual_repairs=k.repairs_of("actual"),
        evaluation_repairs=k.repairs_of("evaluation"),
        final_repairs=k.repairs_of("target", k.final_fiscal_year) if final_is_other else [],
    )


def _areas(rows: list[PlanRow]) -> list[Area]:
    groups: dict[tuple, list[PlanRow]] = defaultdict(list)
    for r in rows:
        groups[(r.pillar or "", r.area_no or 0, r.area_name or "")].append(r)
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4}
    scale = max((len(v) for v in groups.values()), default=1)
    out, last_pillar = [], None
    for (pillar, area_no, area_name), members in sorted(
        groups.items(), key=lambda g: (roman.get(g[0][0], 99), g[0][0], g[0][1])
    ):
        items: dict[tuple, list[PlanRow]] = defaultdict(list)
        for r in members:
            items[(r.item_no or "", r.item_name or "")].append(r)
        own = sum(1 for r in members if not r.is_relisted)
        rel = len(members) - own
        out.append(
            Area(
                pillar_head=None
                if pillar == last_pillar
                else (f"柱 {pillar}" if pillar else "柱不明"),
                pillar=pillar,
                area_no=area_no,
                area_name=area_name,
                own=own,
                relisted=rel,
                items=[
                    ((f"({no}) {name}" if name else f"({no or '—'})"), rs)
                    for (no, name), rs in items.items()
                ],
                bar=stacked(
                    [(own, ACCENT, "事業"), (rel, RELISTED, "再掲")], scale, width=520, chart="area"
                ),
            )
        )
        last_pillar = pillar
    return out


def report_view(data: DashboardData, year: int) -> ReportView:
    kpis = data.kpis.get(year, [])
    rows = data.rows.get(year, [])
    order = _eval_order(data)
    counts = {code: sum(1 for k in kpis if k.evaluation_code == code) for code in order}
    finals = sorted({k.final_fiscal_year for k in kpis if k.final_fiscal_year})
    scores = department_scores(data, year)
    scale = max((len(s.kpis) for s in scores), default=1)
    repaired = [(k, r) for k in kpis for r in k.repairs]
    return ReportView(
        year=year,
        latest=year == data.reports[-1],
        label=_year_label(data, year),
        short=_short(data, year),
        as_of=data.as_of.get(year),
        tiles=[
            ("", "事業数", str(len({r.project_no for r in rows if not r.is_relisted})), "事業"),
            ("", "再掲", str(sum(1 for r in rows if r.is_relisted)), "行"),
            ("", "KPI数", str(len(kpis)), "指標"),
            (
                "",
                "達成率の中央値",
                fmt_pct(
                    _median([k.achievement_rate for k in kpis if k.achievement_rate is not None])
                ),
                "",
            ),
        ]
        + [(EVAL_CLASS.get(c, "none"), data.label(c), str(counts[c]), "指標") for c in order],
        donut=donut([(c, data.label(c), counts[c]) for c in order]),
        repaired_values=sum(1 for _, r in repaired if r.repair_kind != "dropped"),
        repaired_kpis=len({k.kpi_no for k, r in repaired if r.repair_kind != "dropped"}),
        disagreements=sum(1 for k in kpis if k.disagrees),
        final_label=_short(data, finals[-1]) if len(finals) == 1 else "最終",
        kpi_rows=[_kpi_row(data, k, year) for k in kpis],
        flagged=[k for k in kpis if k.disagrees],
        repairs=repaired,
        departments=[
            (
                s,
                stacked(
                    [(s.count(c), COLORS.get(c, COLORS[None]), data.label(c)) for c in order],
                    scale,
                    chart="dept-kpis",
                ),
            )
            for s in scores
        ],
        areas=_areas(rows),
    )


def trends_view(data: DashboardData) -> dict:
    latest = data.reports[-1]
    by_kpi: dict[int, list] = defaultdict(list)
    for r in data.yearly:
        by_kpi[r.kpi_no].append(r)
    latest_status = {k.kpi_no: k for k in data.kpis.get(latest, [])}
    cards = []
    for kpi_no in sorted(set(by_kpi) | set(latest_status)):
        rows = by_kpi.get(kpi_no, [])
        targets: dict[int, list[tuple[int, float]]] = defaultdict(list)
        actual_by_year: dict[int, tuple] = {}
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
        actuals = [
            (fy, v, COLORS.get(c, COLORS[None]), data.label(c))
            for fy, (_, v, c) in sorted(actual_by_year.items())
        ]
        name, unit, baseline = data.kpi_names.get(kpi_no, (f"KPI {kpi_no}", None, None))
        status = latest_status.get(kpi_no)
        cards.append(
            {
                "kpi_no": kpi_no,
                "name": name,
                "unit": unit,
                "code": status.evaluation_code if status else None,
                "chart": trend(
                    kpi_no,
                    sorted({r.fiscal_year for r in rows}),
                    baseline,
                    dict(targets),
                    actuals,
                    latest,
                    lambda fy: _short(data, fy),
                ),
            }
        )
    note = (
        "破線は各報告書に印刷された年度別の目標値(濃い青が最新の報告、薄い色は以前の報告)、"
        "点は実績値(色は評価)、点線は基準値。"
    )
    if len(data.reports) == 1:
        note += " 報告書が1年分のため実績は1点です。翌年度以降の報告を読み込むと推移が線で表示されます。"
    legend = [
        ("line", f"{_short(data, latest)}報告の目標値"),
        ("line old", "以前の報告の目標値"),
        ("line base", "基準値"),
    ]
    return {"cards": cards, "note": note, "legend": legend + _eval_legend(data)}


def _eval_legend(data: DashboardData) -> list[tuple[str, str]]:
    return [(f"sw-{EVAL_CLASS.get(c, 'none')}", data.label(c)) for c in _eval_order(data)]


def _eval_order(data: DashboardData) -> list[str | None]:
    """Evaluation codes in the display order of ``marts.dim_evaluation`` (None: 評価なし)."""
    return [e.code for e in data.evaluations]


# --------------------------------------------------------------------------- page


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dxplan", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        fmt_value=fmt_value,
        fmt_pct=fmt_pct,
        attr_num=attr_num,
        eval_class=lambda code: EVAL_CLASS.get(code or "", "none"),
        kind_label=lambda kind: KIND_LABEL.get(kind, kind),
        palette={"track": TRACK, "ink": INK, "muted": MUTED},
    )
    return env


def _role_label(data: DashboardData, repair) -> str:
    label = ROLE_LABEL.get(repair.value_role, repair.value_role)
    if repair.value_role == "target" and repair.target_fiscal_year:
        return f"{_short(data, repair.target_fiscal_year)}{label}"
    return label


def _asset(name: str) -> str:
    return resources.files("dxplan").joinpath("templates", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def _loads_view(data: DashboardData) -> list[dict]:
    return [
        {
            "file": Path(r["source_path"] or "").name,
            "report_fiscal_year": r["report_fiscal_year"],
            "status": r["status"],
            "status_label": LOAD_STATUS_LABEL.get(r["status"], r["status"]),
            "finished_at": str(r["finished_at"])[:19],
            "message": r["message"],
        }
        for r in data.loads
    ]


def render(
    data: DashboardData, generated_at: datetime, source_name: str, docs_href: str | None = None
) -> str:
    css, js = _asset("dashboard.css"), _asset("dashboard.js")
    csp = f"default-src 'none'; style-src {_sha256(css)}; script-src {_sha256(js)}; img-src data:"
    if data.empty:
        subtitle = SUBTITLE
    else:
        first, last = (_year_label(data, y) for y in (data.reports[0], data.reports[-1]))
        span = f"{first}〜{last}" if len(data.reports) > 1 else first
        subtitle = f"{SUBTITLE} ― 報告書 {len(data.reports)}年度分({span})"
    return (
        _environment()
        .get_template("dashboard.html")
        .render(
            data=data,
            eval_label=data.label,
            eval_legend=_eval_legend(data),
            value_role_label=lambda repair: _role_label(data, repair),
            title=TITLE,
            subtitle=subtitle,
            version=__version__,
            csp=Markup(csp),  # our own policy: its quotes must stay quotes
            css=Markup(css),
            js=Markup(js),
            year_label=lambda fy: _year_label(data, fy),
            reports=[] if data.empty else [report_view(data, y) for y in data.reports],
            trends=None if data.empty else trends_view(data),
            loads=_loads_view(data),
            empty_donut=donut([]),
            docs_href=docs_href,
            generated_at=generated_at,
            source_name=source_name,
            payload={
                "generated_at": generated_at.isoformat(timespec="seconds"),
                "reports": data.reports,
                "kpi_count": len(data.kpis.get(data.reports[-1], [])) if data.reports else 0,
            },
        )
    )


def write_dashboard(warehouse: Path, out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` from the warehouse (opened read-only); returns its path."""
    warehouse, out_dir = Path(warehouse), Path(out_dir)
    data = load_data(warehouse)
    docs = DOCS_FILE if (out_dir / DOCS_FILE).is_file() else None
    page = render(data, datetime.now().astimezone(), warehouse.name, docs)
    out_dir.mkdir(parents=True, exist_ok=True)
    from dxplan.publish import write_text_atomic

    return write_text_atomic(out_dir / "index.html", page)
