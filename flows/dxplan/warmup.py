"""Start-up overlap: import the heavy frameworks while Prefect starts its API.

With no PREFECT_API_URL, Prefect spends several seconds starting a temporary
server in a subprocess before the flow body runs. When there is work to do,
importing Great Expectations and dbt (several seconds each) in a background
thread during that wait takes them off the critical path. When nothing changed
they are never imported at all.
"""

from __future__ import annotations

import importlib
import threading

from dxplan import publish
from dxplan.discover import discover
from dxplan.settings import Settings

HEAVY_MODULES = ("great_expectations", "dbt.cli.main", "dxplan.validate", "dxplan.parse")


def has_new_files(settings: Settings) -> bool:
    """Cheap pre-check (sha256 only): is any file in raw/ not yet published?"""
    try:
        known = publish.published_loads(settings.warehouse)
        return any(
            not (known.get(f.sha256) or {}).get("is_current") for f in discover(settings.raw_dir)
        ) or not settings.warehouse.exists()
    except Exception:  # noqa: BLE001 - only an optimisation; the flow decides for real
        return True


def _import_all() -> None:
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - the flow will import it again and report
            continue


def start_background_imports() -> threading.Thread:
    thread = threading.Thread(target=_import_all, name="dxplan-warmup", daemon=True)
    thread.start()
    return thread
