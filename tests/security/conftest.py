"""One pipeline run over a report full of hostile text, shared by the session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.security.hostile import hostile_report, overlong_report

HOSTILE_NAME = "fukushima_dx_R05_FY2023_hostile.csv"
OVERLONG_NAME = "fukushima_dx_R06_FY2024_overlong.csv"


@dataclass
class HostileRun:
    root: Path
    warehouse: Path
    exit_code: int
    report: object  # the ParsedReport that was written as the hostile file
    template_xlsx: Path
    template_csv: Path
    template_codes: tuple[int, int]
    artifacts: list[str]  # markdown of the run's Prefect artifacts

    @property
    def wh_dir(self) -> Path:
        return self.warehouse.parent


def _read_markdown_artifacts() -> list[str]:
    """The markdown artifacts the run created, read back from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["dxplan-run-summary"])),
        )
    return [a.data for a in found if isinstance(a.data, str)]


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory, run_dxplan) -> HostileRun:
    from dxplan.cli import main
    from dxplan.parse import canonical, parse_bytes

    seed = parse_bytes(SEED.read_bytes(), SEED.name)
    root = tmp_path_factory.mktemp("hostile_run")
    raw = root / "raw"
    raw.mkdir()
    report = hostile_report(seed)
    (raw / HOSTILE_NAME).write_bytes(canonical.write_csv(report))
    (raw / OVERLONG_NAME).write_bytes(canonical.write_csv(overlong_report(seed, 2024)))
    warehouse = root / "warehouse" / "dxplan.duckdb"
    code = run_dxplan(raw, warehouse)
    out = root / "templates"
    xlsx, csv_ = out / "hostile.xlsx", out / "hostile.csv"
    codes = tuple(
        main(["template", "--year", "2023", "--out", str(p), "--warehouse", str(warehouse)])
        for p in (xlsx, csv_)
    )
    return HostileRun(
        root=root,
        warehouse=warehouse,
        exit_code=code,
        report=report,
        template_xlsx=xlsx,
        template_csv=csv_,
        template_codes=codes,
        artifacts=_read_markdown_artifacts(),
    )
