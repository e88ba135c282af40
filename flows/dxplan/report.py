"""Run report: Prefect artifacts and a plain-text summary of what a run did."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dxplan.pipeline import RunSummary
    from dxplan.settings import Settings


def _cell(text: object) -> str:
    """Data as inert Markdown: no HTML, links or table breaks from a report's text."""
    from dxplan.safe_text import markdown_text

    return markdown_text(text)


def markdown_summary(settings: Settings, summary: RunSummary) -> str:
    counts = summary.counts()
    lines = [
        f"# dxplan run {summary.run_id}",
        "",
        f"Warehouse: `{summary.warehouse}`  ",
        f"Files: {counts['published']} published, {counts['unchanged']} unchanged, "
        f"{counts['rejected']} rejected; rebuilt: {'yes' if summary.rebuilt else 'no'}; "
        f"{summary.seconds:.1f} s",
        "",
        "| file | status | report year | rows | KPIs | message |",
        "|---|---|---|---|---|---|",
    ]
    for f in summary.files:
        lines.append(
            f"| {_cell(Path(f.source_path).name)} | **{f.status}** | {_cell(f.report_fiscal_year)} "
            f"| {_cell(f.rows_in)} | {_cell(f.kpis_in)} | {_cell(f.message)} |"
        )
    warnings = [(Path(f.source_path).name, w) for f in summary.files for w in f.warnings]
    if warnings:
        lines += ["", "## Validation warnings", ""]
        lines += [f"- {_cell(name)}: {_cell(w)}" for name, w in warnings[:50]]
    if summary.transform:
        t = summary.transform
        lines += ["", f"dbt build: {t['models']} models, {t['tests']} tests, {t['seconds']:.1f} s"]
    lines += [
        "",
        "## Where to look",
        "",
        f"- validation data docs: `{settings.data_docs_dir / 'index.html'}`",
        f"- exports (Parquet, CSV): `{settings.exports_dir}`",
        f"- dashboard: `{settings.dashboard_dir / 'index.html'}`",
        f"- dbt docs (tables and columns): `{settings.dashboard_dir / 'dbt_docs.html'}`",
    ]
    return "\n".join(lines)


def publish_artifacts(settings: Settings, summary: RunSummary) -> None:
    """Best effort: a run's artifacts never decide whether data was published."""
    from prefect.artifacts import create_markdown_artifact

    try:
        create_markdown_artifact(
            key="dxplan-run-summary",
            markdown=markdown_summary(settings, summary),
            description="Files seen by this dxplan run and what happened to each",
        )
    except Exception as exc:  # noqa: BLE001 - artifacts are informational
        from prefect import get_run_logger

        get_run_logger().warning("could not create Prefect artifact: %s", exc)
