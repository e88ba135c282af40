"""All settings in one place. Environment variables override the defaults; CLI options override both."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dxplan import workdir
from dxplan.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: the pipeline's Prefect names (deployment: dxplan-pipeline/scheduled)
FLOW_NAME = "dxplan-pipeline"
DEPLOYMENT_NAME = "scheduled"
#: the deployment `dxplan deploy --pool NAME` registers on a work pool (dxplan-pipeline/worker)
WORKER_DEPLOYMENT_NAME = "worker"
DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "Asia/Tokyo"

#: a yearly report is ~50 KB (OCR text) to ~200 KB (XLSX); anything far larger is not one
DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024
#: how long a second run waits for the writer lock before giving up
DEFAULT_LOCK_TIMEOUT_S = 300.0
#: file names in raw/ that are never reports
IGNORED_NAMES = {"README", "README.md", "README.txt", ".gitkeep", ".DS_Store"}


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    dbt_project_dir: Path = workdir.resource_dir("dbt_project")  # package data (read-only)
    expectations_dir: Path = workdir.resource_dir("expectations")  # package data (read-only)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S

    @property
    def warehouse_dir(self) -> Path:
        return self.warehouse.parent

    @property
    def lock_path(self) -> Path:
        return self.warehouse_dir / f".{self.warehouse.name}.lock"

    @property
    def data_docs_dir(self) -> Path:
        return self.warehouse_dir / "data_docs"

    @property
    def exports_dir(self) -> Path:
        return self.warehouse_dir / "exports"

    @property
    def dashboard_dir(self) -> Path:
        return self.warehouse_dir / "dashboard"

    @property
    def dbt_target_dir(self) -> Path:
        return self.warehouse_dir / ".dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.warehouse_dir / ".dbt" / "logs"


def load_settings(
    raw_dir: str | os.PathLike | None = None,
    warehouse: str | os.PathLike | None = None,
    **overrides,
) -> Settings:
    home = workdir.home()  # DXPLAN_HOME, a working folder, or the source checkout
    raw = Path(raw_dir) if raw_dir else _env_path("DXPLAN_RAW_DIR", home / "raw")
    wh = (
        Path(warehouse)
        if warehouse
        else _env_path("DXPLAN_WAREHOUSE", home / "warehouse" / "dxplan.duckdb")
    )
    max_bytes = os.environ.get("DXPLAN_MAX_FILE_BYTES")
    if max_bytes and "max_file_bytes" not in overrides:
        overrides["max_file_bytes"] = parse_size("DXPLAN_MAX_FILE_BYTES", max_bytes)
    lock_timeout = os.environ.get("DXPLAN_LOCK_TIMEOUT")
    if lock_timeout and "lock_timeout_s" not in overrides:
        overrides["lock_timeout_s"] = parse_seconds("DXPLAN_LOCK_TIMEOUT", lock_timeout)
    return Settings(raw_dir=raw.resolve(), warehouse=wh.resolve(), **overrides)


def _bad(name: str, value: str, reason: str) -> UsageError:
    from dxplan.i18n import t

    return UsageError(t("error.bad_env", name=name, value=value, reason=reason))


def parse_size(name: str, value: str) -> int:
    """A whole number of bytes. Units are refused on purpose: ``8MB`` could mean 8,000,000
    or 8,388,608 bytes, and a limit should not be a guess."""
    text = value.strip().replace("_", "")
    if not text.isdigit():
        raise _bad(name, value, "expected a whole number of bytes, e.g. 8388608 (8 MiB)")
    if int(text) <= 0:
        raise _bad(name, value, "the size must be larger than 0")
    return int(text)


def parse_seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise _bad(name, value, "expected a number of seconds, e.g. 300") from None
    if not seconds >= 0:
        raise _bad(name, value, "the number of seconds must be 0 or more")
    return seconds
