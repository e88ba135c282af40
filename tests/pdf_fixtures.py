"""The report PDFs of tests/fixtures/make_pdf_fixtures.py, drawn once per test process.

Needs reportlab (the ``dev`` extra) and the Debian ``fonts-ipaexfont`` font; the tests that
use them are skipped with the reason when either is missing.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "tests" / "fixtures" / "make_pdf_fixtures.py"


@lru_cache(maxsize=1)
def generator():
    spec = importlib.util.spec_from_file_location("make_pdf_fixtures", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@lru_cache(maxsize=1)
def _drawn() -> dict[str, Path]:
    out = Path(tempfile.mkdtemp(prefix="dxplan-pdf-"))
    return generator().write_all(out)


def pdf_paths() -> dict[str, Path]:
    """style name -> PDF path (seed_fy2023, synthetic_fy2024, seed_fy2023_variant,
    seed_fy2023_scanned)."""
    pytest.importorskip("reportlab", reason="reportlab (dev extra) draws the PDF fixtures")
    gen = generator()
    missing = [f for f in gen.FONTS.values() if not Path(f).exists()]
    if missing:
        pytest.skip(f"font missing (apt-get install fonts-ipaexfont): {missing}")
    return _drawn()
