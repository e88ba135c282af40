"""The warehouse's dbt docs as one offline page beside the dashboard: ``dashboard/dbt_docs.html``.

Every table and column of the warehouse with its description (Japanese term and English
meaning, from the dbt project's yml), lineage graph and SQL, readable by double-clicking.

- :func:`generate_docs` runs ``dbt docs generate --static --no-compile`` on the build file
  right after ``dbt build``, in the same dbt worker and target directory (the build's parse
  and manifest are reused; no recompilation), while the run holds the writer lock. dbt
  writes ``static_index.html``: one self-contained page with the manifest and the catalog
  inlined.
- :func:`install_docs` copies that page beside the dashboard after the publish (atomically),
  adding a Content-Security-Policy that forbids any network access. dbt's page would only
  load its tracking script with anonymous usage stats on (the project turns them off); the
  policy makes sure the page stays offline anyway.

Neither decides publication: the pipeline logs a warning when they fail.
"""

from __future__ import annotations

import time
from pathlib import Path

#: what dbt writes into the target directory for ``docs generate --static``
STATIC_PAGE = "static_index.html"
#: the file name beside the dashboard's index.html (the dashboard links it)
DOCS_FILE = "dbt_docs.html"
#: inline scripts and styles of dbt's single-page app; nothing from the network
OFFLINE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:"
)


class DocsError(RuntimeError):
    """dbt docs generate failed."""


def generate_docs(worker) -> Path:
    """Write ``static_index.html`` into the target directory of ``worker`` (a
    :class:`dxplan.transform.DbtWorker` that has just built its database); returns its path."""
    started = time.time()
    answer = worker.invoke(["docs", "generate", "--static", "--no-compile"])
    page = Path(worker.target_dir) / STATIC_PAGE
    if not answer["success"]:
        raise DocsError(f"dbt docs generate failed: {answer['exception']}")
    if not page.is_file() or page.stat().st_mtime < started - 1:
        raise DocsError(f"dbt docs generate wrote no {STATIC_PAGE}")
    return page


def offline_page(html: str) -> str:
    """dbt's static page with the offline Content-Security-Policy first in its head."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{OFFLINE_CSP}">'
    head = html.find("<head>")
    if head < 0:
        raise DocsError("the dbt docs page has no <head>")
    at = head + len("<head>")
    return html[:at] + meta + html[at:]


def install_docs(target_dir: Path, dashboard_dir: Path) -> Path | None:
    """Copy the generated page to ``dashboard_dir/dbt_docs.html``; None when there is none."""
    page = Path(target_dir) / STATIC_PAGE
    if not page.is_file():
        return None
    text = offline_page(page.read_text(encoding="utf-8"))
    dashboard_dir = Path(dashboard_dir)
    dashboard_dir.mkdir(parents=True, exist_ok=True)
    from dxplan.publish import write_text_atomic

    return write_text_atomic(dashboard_dir / DOCS_FILE, text)


def generate_for_build(worker, logger) -> Path | None:
    """:func:`generate_docs` for the pipeline's build file; a failure is only a warning."""
    try:
        return generate_docs(worker)
    except Exception as exc:  # noqa: BLE001 - the docs page never decides publication
        logger.warning("could not generate the dbt docs page: %s", exc)
        return None
