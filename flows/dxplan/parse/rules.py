"""Load the parser's data files (``dxplan/rules/*.yaml``) once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load(name: str) -> dict[str, Any]:
    """Return the parsed YAML data file ``rules/<name>.yaml``."""
    text = resources.files("dxplan").joinpath("rules", f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise RuntimeError(f"rules/{name}.yaml must hold a mapping")
    return data
