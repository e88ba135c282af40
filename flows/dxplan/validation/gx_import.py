"""Import Great Expectations without loading what dxplan's suites never use.

``import great_expectations`` registers every core expectation class; one of them
(``expect_column_kl_divergence_to_be_less_than``) imports ``altair`` and ``scipy.stats``
at module level, about a third of the import's time. While GX is imported here those two
modules are given to :class:`importlib.util.LazyLoader`: they are executed on first use
(only GX's distribution expectations and charts use them), not at import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

#: imported by GX at module level, used by none of the suites' expectation types
DEFERRED = ("altair", "scipy.stats")


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds the DEFERRED modules as the path finder does, with a lazy loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def import_gx() -> ModuleType:
    """``great_expectations``, imported once, with analytics off and DEFERRED lazy."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    finder = _LazyFinder()
    sys.meta_path.insert(0, finder)
    try:
        import great_expectations
    finally:
        sys.meta_path.remove(finder)
    return great_expectations


gx = import_gx()  # importing this module imports GX (what dxplan.cli preloads)
