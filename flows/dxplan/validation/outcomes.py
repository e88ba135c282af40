"""Outcomes: one GX expectation result over several loads, handed to the load of each
failing row, and turned into audit rows and messages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dxplan.validation.frames import Verdict
from dxplan.validation.messages import _checked_columns, _describe_failure, _jsonable
from dxplan.validation.suites import DETAIL_ROWS, SuiteSpec, ValidationOutcome

#: re-validate one expectation on one load's rows alone (COMPLETE result)
Revalidate = Callable[[str], Any]


def used_columns(spec: SuiteSpec) -> set[str]:
    """The frame columns a suite reads (the others are not handed to GX)."""
    cols = set(spec.id_columns)
    for exp in spec.body["expectations"]:
        kwargs = exp.get("kwargs") or {}
        cols.update(_checked_columns(kwargs))
        cols.update(kwargs.get("column_set") or [])
        cols.update(_condition_columns(kwargs.get("row_condition")))
    return cols


def _condition_columns(condition: Any) -> set[str]:
    """Column names in a serialised GX row condition ({"column": {"name": ...}, ...})."""
    if isinstance(condition, dict):
        found = set()
        column = condition.get("column")
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            found.add(column["name"])
        for value in condition.values():
            found |= _condition_columns(value)
        return found
    if isinstance(condition, list):
        return set().union(*(_condition_columns(c) for c in condition)) if condition else set()
    if isinstance(condition, str):  # legacy pandas query string
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", condition))
    return set()


def verdicts(
    res: Any, ids: list[str], shared: bool, revalidate: Revalidate
) -> list[tuple[str, Verdict]]:
    """(load_id, (success, result, exception)) for each load, from one result of a
    suite run over all of them (``shared``: the frame is common to all loads)."""
    info = res.exception_info or {}
    exception = info.get("exception_message") if info.get("raised_exception") else None
    result = dict(res.result or {})
    success = bool(res.success) and not exception
    index = result.get("unexpected_index_list")
    if success or exception or shared:
        return [(lid, (success, result, exception)) for lid in ids]
    if index is None:
        if len(ids) == 1:
            return [(ids[0], (False, result, None))]
        # not attributable to rows (never seen with the suites' expectation types):
        # run this expectation on each load's rows on its own
        out = []
        for lid in ids:
            out += verdicts(revalidate(lid), [lid], shared, revalidate)
        return out
    by_load: dict[str, list[dict[str, Any]]] = {}
    for item in index:
        item = dict(item)
        by_load.setdefault(item.pop("load_id", None), []).append(item)
    out = []
    for lid in ids:
        items = by_load.get(lid)
        if items:
            out.append((lid, (False, {"unexpected_index_list": items,
                                      "unexpected_count": len(items)}, None)))
        else:
            out.append((lid, (True, {}, None)))
    return out


def frame_missing(outcome: ValidationOutcome, spec: SuiteSpec, at: datetime) -> None:
    """A suite whose frame could not be read fails critically."""
    message = f"{spec.table}: frame {spec.frame} could not be built (staged columns missing?)"
    outcome.critical_failures.append(message)
    outcome.results.append(
        {
            "load_id": outcome.load_id,
            "suite_name": spec.name,
            "expectation_type": "dxplan_frame_build",
            "column_name": None,
            "severity": "critical",
            "success": False,
            "unexpected_count": None,
            "details": json.dumps({"rule": "frame_build", "message": message},
                                  ensure_ascii=False),
            "validated_at": at,
        }
    )


def collect(
    outcome: ValidationOutcome,
    spec: SuiteSpec,
    res: Any,
    verdict: Verdict,
    at: datetime,
    row_level: bool,
) -> None:
    """Add one expectation's verdict on the load to its outcome: a message if it failed,
    and its audit row (``row_level``: the expectation counts unexpected rows)."""
    config = res.expectation_config
    meta = dict(config.meta or {})
    kwargs = dict(config.kwargs or {})
    success, result, exception = verdict
    message = None if success else _describe_failure(spec, meta, kwargs, result, exception)
    if message:
        target = outcome.critical_failures if meta["severity"] == "critical" else outcome.warnings
        target.append(message)
    unexpected = result.get("unexpected_index_list") or []
    details = {
        "rule": meta.get("rule"),
        "description": meta.get("description"),
        "table": spec.table,
        "frame": spec.frame,
        "kwargs": {k: v for k, v in kwargs.items() if k not in ("batch_id",)},
        "message": message,
        "observed_value": result.get("observed_value"),
        "unexpected": unexpected[:DETAIL_ROWS],
        "exception": exception,
    }
    count = result.get("unexpected_count", result.get("missing_count"))
    if count is None and success and row_level:
        count = 0  # passed in the BOOLEAN_ONLY pass, which reports no counts
    outcome.results.append(
        {
            "load_id": outcome.load_id,
            "suite_name": spec.name,
            "expectation_type": config.type,
            "column_name": ",".join(_checked_columns(kwargs)) or None,
            "severity": meta["severity"],
            "success": success,
            "unexpected_count": int(count) if count is not None else None,
            "details": json.dumps(_jsonable(details), ensure_ascii=False, default=str),
            "validated_at": at,
        }
    )
