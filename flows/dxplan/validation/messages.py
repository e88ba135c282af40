"""Messages: a failed expectation as one line naming the rule and the failing rows."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from dxplan.validation.frames import _present, _val
from dxplan.validation.suites import MESSAGE_ROWS, SuiteSpec

log = logging.getLogger(__name__)
# ----------------------------------------------------------------------------- messages


def _fmt_value(value: Any) -> str:
    value = _val(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic | pd.Timestamp | datetime):
        return _jsonable(value.item() if isinstance(value, np.generic) else value.isoformat())
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _checked_columns(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    return cols + list(kwargs.get("column_list") or [])


def _describe_failure(
    spec: SuiteSpec,
    meta: dict[str, Any],
    kwargs: dict[str, Any],
    result: dict[str, Any],
    exception: str | None,
) -> str:
    head = f"{spec.table}: rule {meta['rule']} ({meta['severity']}) failed — {meta['description']}"
    if exception:
        return f"{head}: expectation raised {exception}"
    index = result.get("unexpected_index_list")
    if index:
        parts = []
        for item in index[:MESSAGE_ROWS]:
            keys = [k for k in spec.id_columns if k in item]
            keys += [k for k in item if k not in keys]
            shown = [f"{k}={_fmt_value(item[k])}" for k in keys if _present(item[k])]
            parts.append(", ".join(shown))
        more = f"; … and {len(index) - MESSAGE_ROWS} more" if len(index) > MESSAGE_ROWS else ""
        return f"{head}: " + "; ".join(parts) + more
    observed = result.get("observed_value")
    missing = result.get("partial_missing_list")
    if missing:  # *_distinct_values_to_contain_set
        count = result.get("missing_count", len(missing))
        return f"{head}: {count} missing: {', '.join(map(str, missing))}"
    expected = kwargs.get("value_set")
    if isinstance(observed, list) and isinstance(expected, list):
        absent = sorted(set(expected) - set(observed), key=str)
        return f"{head}: missing {', '.join(map(str, absent))}"
    extra = result.get("details", {}).get("mismatched") if result.get("details") else None
    if extra:
        return f"{head}: {json.dumps(_jsonable(extra), ensure_ascii=False)}"
    return f"{head}: observed {_fmt_value(observed)}"


