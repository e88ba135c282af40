"""Build step only (all metadata is in pyproject.toml): ship the dbt project and the
Great Expectations suites inside the package, as ``dxplan/_bundle/dbt_project`` and
``dxplan/_bundle/expectations``. The repository keeps them at the top level; an editable
install (``pip install -e .``) reads them there (see flows/dxplan/workdir.py)."""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLE = ("dbt_project", "expectations")  # keep in step with dxplan.workdir.RESOURCE_DIRS
#: never shipped: dbt's outputs and caches (they belong under the warehouse folder)
TOP_LEVEL_SKIP = {"target", "logs", "dbt_packages"}
SKIP_ANYWHERE = ("__pycache__", "*.pyc", "*.msgpack", ".user.yml", ".DS_Store", "*.log")


def _skipped(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in SKIP_ANYWHERE)


def bundle_files(dest_root: Path) -> list[tuple[Path, Path]]:
    """(source, destination) of every file to ship, in a stable order."""
    pairs = []
    for name in BUNDLE:
        top = ROOT / name
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames if not _skipped(d) and not (here == top and d in TOP_LEVEL_SKIP)
            )
            for file in sorted(filenames):
                if not _skipped(file):
                    pairs.append((here / file, dest_root / name / (here / file).relative_to(top)))
    return pairs


class BuildPyWithBundle(build_py):
    """``build_py`` that also copies the resource folders into the built package."""

    def _bundle_root(self) -> Path:
        return Path(self.build_lib) / "dxplan" / "_bundle"

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the source checkout reads the top-level folders directly
        root = self._bundle_root()
        shutil.rmtree(root, ignore_errors=True)  # no stale files from an earlier build
        for src, dest in bundle_files(root):
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            outputs += [str(dest) for _, dest in bundle_files(self._bundle_root())]
        return outputs


setup(cmdclass={"build_py": BuildPyWithBundle})
