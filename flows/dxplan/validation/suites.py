"""Suites: the expectation files, severities, outcomes and their audit rows."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

SEVERITIES = ("critical", "warning")
BASE_FRAMES = ("staging_columns", "loads", "report_rows", "kpis", "kpi_targets")
DERIVED_FRAMES = ("cross_projects", "cross_row_refs", "cross_kpis")
FRAMES = BASE_FRAMES + DERIVED_FRAMES
#: KPI numbers above this are out of range (rule kpi_no_range) and not used to
#: build the 1..N numbering frame.
MAX_KPI_NO = 999
#: validation runs (validate_loads calls) per pipeline run whose GX data-docs pages are
#: rendered besides those with a rejected load
MAX_GX_DOC_RUNS = 10
#: how many failing rows a message names, and how many the audit details keep
MESSAGE_ROWS = 10
DETAIL_ROWS = 100
_FLOAT_TOL = 1e-9

_DATA_SOURCE = "dxplan_staging"
_BATCH_DEFINITION = "whole_load"
_SITE_NAME = "dxplan"


# ----------------------------------------------------------------------------- outcome


@dataclass
class ValidationOutcome:
    load_id: str
    passed: bool  # False iff any critical expectation failed
    critical_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # audit.validation_results rows


_RESULT_COLUMNS = (
    "load_id",
    "suite_name",
    "expectation_type",
    "column_name",
    "severity",
    "success",
    "unexpected_count",
    "details",
    "validated_at",
)


def record_results(con: duckdb.DuckDBPyConnection, *outcomes: ValidationOutcome) -> None:
    """Insert the outcomes' result rows into ``audit.validation_results``."""
    rows = [[r[c] for c in _RESULT_COLUMNS] for o in outcomes for r in o.results]
    if not rows:
        return
    from dxplan.stage import insert_rows

    # _RESULT_COLUMNS is the table's column order (stage.DDL)
    insert_rows(con, "audit.validation_results", rows)


# ----------------------------------------------------------------------------- suites


@dataclass(frozen=True)
class SuiteSpec:
    """One suite file: which frame it validates and how its rows are named."""

    name: str
    frame: str
    table: str
    id_columns: tuple[str, ...]
    path: Path
    body: dict[str, Any]


def load_suite_specs(expectations_dir: Path) -> list[SuiteSpec]:
    """Read and check every ``*.json`` suite file (sorted by name).

    Raises ValueError naming the file when a suite is malformed: no frame, an
    unknown frame, an expectation without severity/rule/description, or a rule id
    used twice.
    """
    paths = sorted(Path(expectations_dir).glob("*.json"))
    if not paths:
        raise ValueError(f"no expectation suites (*.json) in {expectations_dir}")
    specs: list[SuiteSpec] = []
    rules: dict[str, str] = {}
    for path in paths:
        body = _with_record_columns(json.loads(path.read_text(encoding="utf-8")))
        name = body.get("name")
        dx = (body.get("meta") or {}).get("dxplan") or {}
        frame = dx.get("frame")
        if not name or frame not in FRAMES:
            raise ValueError(f"{path.name}: needs a name and meta.dxplan.frame in {FRAMES}")
        if not body.get("expectations"):
            raise ValueError(f"{path.name}: has no expectations")
        for i, exp in enumerate(body["expectations"]):
            meta = exp.get("meta") or {}
            where = f"{path.name} expectation {i} ({exp.get('type')})"
            if meta.get("severity") not in SEVERITIES:
                raise ValueError(f"{where}: meta.severity must be one of {SEVERITIES}")
            rule = meta.get("rule")
            if not rule or not meta.get("description"):
                raise ValueError(f"{where}: meta needs a rule and a description")
            if rule in rules:
                raise ValueError(f"{where}: rule {rule!r} already used in {rules[rule]}")
            rules[rule] = path.name
        specs.append(
            SuiteSpec(
                name=name,
                frame=frame,
                table=dx.get("table") or frame,
                id_columns=tuple(dx.get("id_columns") or ()),
                path=path,
                body=body,
            )
        )
    return specs


def _with_record_columns(body: dict[str, Any]) -> dict[str, Any]:
    """Fill a suite's ``value_set`` from the record definitions when it asks for them.

    ``meta.dxplan.value_set = "record_columns"`` (structure.json): the staging columns and
    types are those the records in dxplan.models declare (``dxplan.schema.column_types``).
    """
    dx = (body.get("meta") or {}).get("dxplan") or {}
    if dx.get("value_set") != "record_columns":
        return body
    from dxplan.schema import column_types

    for exp in body.get("expectations") or []:
        exp.setdefault("kwargs", {})["value_set"] = column_types()
    return body


def _gx_suite_dict(spec: SuiteSpec) -> dict[str, Any]:
    """The suite as GX wants it: GX's own ``severity`` field mirrors meta.severity."""
    expectations = []
    for exp in spec.body["expectations"]:
        exp = dict(exp)
        exp["severity"] = exp["meta"]["severity"]
        expectations.append(exp)
    return {"name": spec.name, "expectations": expectations, "meta": spec.body.get("meta", {})}


