"""Where dxplan finds its working folder and its resources, and ``dxplan init``.

Two kinds of paths:

- *working paths* (``raw/``, ``warehouse/``) belong to the operator: they live in the
  working folder, which is ``DXPLAN_HOME`` when set, else the current folder when it is a
  dxplan working folder (it has ``raw/`` or the marker file ``dxplan.toml`` that
  ``dxplan init`` writes), else, in a source checkout, the checkout itself (so ``make run``
  works as before), else the current folder.
- *resources* (the dbt project, the Great Expectations suites; the parser rules and the
  dashboard templates are ordinary package data of ``dxplan``) ship inside the package:
  a built wheel carries ``dxplan/_bundle/dbt_project`` and ``dxplan/_bundle/expectations``
  (copied there by ``setup.py`` at build time); a source checkout (``pip install -e .``)
  uses the top-level ``dbt_project/`` and ``expectations/`` directly. Resources are only
  read: dbt's target and log folders go under the warehouse folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: the file ``dxplan init`` writes: marks a folder as a dxplan working folder
MARKER = "dxplan.toml"
#: the resource folders that ship with the package (``dxplan/_bundle/<name>`` in a wheel)
RESOURCE_DIRS = ("dbt_project", "expectations")
BUNDLE = "_bundle"

PACKAGE_DIR = Path(__file__).resolve().parent
#: the source checkout this module lives in (meaningless for an installed wheel)
CHECKOUT_ROOT = PACKAGE_DIR.parents[1]


class InitError(RuntimeError):
    """``dxplan init`` could not make the folder a working folder (one-line message)."""


def is_source_checkout(root: Path | None = None) -> bool:
    """True when dxplan runs from a source checkout (editable install or PYTHONPATH)."""
    root = CHECKOUT_ROOT if root is None else root
    return (
        (root / "pyproject.toml").is_file()
        and (root / "dbt_project" / "dbt_project.yml").is_file()
        and (root / "flows" / "dxplan").is_dir()
    )


def is_workdir(path: Path) -> bool:
    """A dxplan working folder: it has ``raw/`` or the marker file."""
    return (path / "raw").is_dir() or (path / MARKER).is_file()


def home(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The working folder: raw/ and warehouse/ are found relative to it."""
    env = os.environ if environ is None else environ
    value = env.get("DXPLAN_HOME", "").strip()
    if value:
        return Path(value).expanduser().resolve()
    here = Path.cwd() if cwd is None else Path(cwd)
    if is_workdir(here):
        return here.resolve()
    if is_source_checkout():
        return CHECKOUT_ROOT
    return here.resolve()


def resource_dir(name: str) -> Path:
    """The shipped resource folder ``name`` (``dbt_project`` or ``expectations``).

    The bundled copy inside the installed package wins; a source checkout falls back to
    its top-level folder. Never raises: a missing folder fails later, where it is read.
    """
    if name not in RESOURCE_DIRS:
        raise ValueError(f"unknown resource folder {name!r}; known: {', '.join(RESOURCE_DIRS)}")
    bundled = PACKAGE_DIR / BUNDLE / name
    if bundled.is_dir():
        return bundled
    checkout = CHECKOUT_ROOT / name  # read at call time: tests may point it elsewhere
    if is_source_checkout() and checkout.is_dir():
        return checkout
    return bundled


def is_bundled(path: Path) -> bool:
    """True for a resource inside the installed package (possibly read-only: never write)."""
    try:
        Path(path).resolve().relative_to(PACKAGE_DIR / BUNDLE)
    except ValueError:
        return False
    return True


MARKER_TEXT = """\
# This folder is a dxplan working folder (written by `dxplan init`).
# dxplan run, check and template find raw/ and warehouse/ here when started in this
# folder, or anywhere with DXPLAN_HOME set to it. Settings come from the command line
# options and the DXPLAN_* environment variables (see `dxplan --help`).
[dxplan]
format = 1
"""

README_TEXT = """\
# dxplan working folder

- `raw/`: put the yearly report files here (the OCR'd text, the canonical CSV/XLSX
  template, or the report PDF as the prefecture publishes it).
- `warehouse/`: what `dxplan run` publishes: `dxplan.duckdb` (open it read-only),
  `exports/` (Parquet, CSV), `dashboard/index.html`, `data_docs/`.

Daily operation, in this folder:

    dxplan run            # validate and publish every new file in raw/
    dxplan check FILE     # what publishing FILE would change, without publishing

From elsewhere, set `DXPLAN_HOME` to this folder.

# dxplan 作業フォルダ

- `raw/`: 年度ごとの取組一覧ファイルを置くフォルダ。
- `warehouse/`: `dxplan run` が公開するデータ (`dxplan.duckdb`、`exports/`、
  `dashboard/index.html`、`data_docs/`)。

このフォルダで `dxplan run` を実行します。別の場所からは `DXPLAN_HOME` にこのフォルダを指定します。
"""


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    def summary_lines(self, cwd: Path | None = None) -> list[str]:
        """What ``dxplan init`` prints: what it made, then what to do next."""
        state = "made" if self.created else "is already"
        lines = [f"dxplan: {self.root} {state} a dxplan working folder"]
        lines += [f"  created {p.name}{'/' if p.is_dir() else ''}" for p in self.created]
        lines.append("next:")
        lines += [f"  {step}" for step in self.next_steps(cwd)]
        return lines

    def next_steps(self, cwd: Path | None = None) -> list[str]:
        here = (Path.cwd() if cwd is None else Path(cwd)).resolve()
        lines = [f"1. put the yearly report files into {self.root / 'raw'}"]
        if self.root == here:
            lines.append("2. run: dxplan run")
        else:
            lines.append(
                f'2. run: cd "{self.root}" && dxplan run   (or set DXPLAN_HOME="{self.root}")'
            )
        lines.append(f"3. open {self.root / 'warehouse' / 'dashboard' / 'index.html'}")
        return lines


def init_workdir(directory: str | os.PathLike | None = None) -> InitResult:
    """Make ``directory`` (default: the current folder) a working folder; idempotent.

    Creates ``raw/``, ``warehouse/``, the marker file and a README where missing and keeps
    whatever is already there. Raises :class:`InitError` when the folder is not writable.
    """
    root = Path(directory if directory is not None else Path.cwd()).expanduser().resolve()
    result = InitResult(root=root)
    if root.exists() and not root.is_dir():
        raise InitError(f"cannot make {root} a dxplan working folder: it is a file, not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for sub in ("raw", "warehouse"):
            path = root / sub
            if path.is_dir():
                result.kept.append(path)
            else:
                path.mkdir()
                result.created.append(path)
        for name, text in ((MARKER, MARKER_TEXT), ("README.md", README_TEXT)):
            path = root / name
            if path.exists():
                result.kept.append(path)
            else:
                _write_new(path, text)
                result.created.append(path)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        where = exc.filename or root
        raise InitError(f"cannot make {root} a dxplan working folder: {reason}: {where}") from None
    return result


def _write_new(path: Path, text: str) -> None:
    """Write a file that does not exist yet (never overwrite the operator's file)."""
    with path.open("x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
