"""The built wheel, installed in a fresh virtualenv, runs in an empty folder.

The wheel is built offline from a copy of the source tree (``pip wheel --no-build-isolation``
with the setuptools and wheel of the dev extra). The new venv gets the wheel with
``--no-deps``; the dependencies come from this environment's site-packages through a
``.pth`` file (a path added that way has its own ``.pth`` files ignored, so this checkout's
editable install of dxplan stays invisible): dxplan itself comes only from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, SEED

pytestmark = pytest.mark.slow

#: never copied into the build tree (outputs, caches, environments)
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    "warehouse",
    "out",
    ".prefect",
)


def _env(**extra: str) -> dict[str, str]:
    """A clean environment: no dxplan/Prefect settings of the caller, no PYTHONPATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DXPLAN_", "PREFECT_", "PYTHON", "VIRTUAL_ENV"))
        and "TEST_MODE" not in k
    }
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        **extra,
    )
    return env


def _run(cmd: list, cwd: Path, env: dict[str, str], timeout: float = 120):
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=COPY_IGNORE)
    # dbt leftovers in the project folder must not be shipped
    for leftover in ("target/partial_parse.msgpack", "logs/dbt.log", "dbt_packages/x/y.sql"):
        path = src / "dbt_project" / leftover
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("leftover")
    dist = tmp_path / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            dist,
            src,
        ],
        cwd=tmp_path,
        env=_env(),
    )
    (wheel,) = dist.glob("dxplan-*.whl")
    return wheel


def _check_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "dxplan/cli.py",
        "dxplan/workdir.py",
        "dxplan/rules/ocr_fixes.yaml",
        "dxplan/templates/dashboard.html",
        "dxplan/_bundle/dbt_project/dbt_project.yml",
        "dxplan/_bundle/dbt_project/profiles.yml",
        "dxplan/_bundle/dbt_project/models/marts/dim_initiative.sql",
        "dxplan/_bundle/expectations/loads.json",
    ):
        assert expected in names, expected
    models = {n for n in names if n.startswith("dxplan/_bundle/dbt_project/models/")}
    shipped = {
        str(p.relative_to(REPO))
        for p in (REPO / "dbt_project" / "models").rglob("*")
        if p.is_file()
    }
    assert {n.removeprefix("dxplan/_bundle/") for n in models} == shipped
    suites = {p.name for p in (REPO / "expectations").glob("*.json")}
    assert {
        n.rsplit("/", 1)[1]
        for n in names
        if n.startswith("dxplan/_bundle/expectations/") and n.endswith(".json")
    } == suites
    leaked = [
        n
        for n in names
        if any(part in n.split("/") for part in ("target", "logs", "dbt_packages", "__pycache__"))
        or n.endswith(".msgpack")
    ]
    assert leaked == []


def _fresh_venv(tmp_path: Path, wheel: Path) -> tuple[Path, Path]:
    """A new venv with the wheel (no deps) and this environment's packages via a .pth."""
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(home)
    bindir = home / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    site = Path(
        _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            cwd=tmp_path,
            env=_env(),
        ).stdout.strip()
    )
    (site / "zz_outer_site_packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            wheel,
        ],
        cwd=tmp_path,
        env=_env(),
    )
    return bindir, site


def _package_files(package: Path) -> set[str]:
    return {str(p.relative_to(package)) for p in package.rglob("*") if "__pycache__" not in p.parts}


def test_wheel_installs_and_runs_in_an_empty_folder(tmp_path):
    clock = _Clock()
    wheel = _build_wheel(tmp_path)
    _check_wheel_contents(wheel)
    clock.lap("build wheel")
    bindir, site = _fresh_venv(tmp_path, wheel)
    clock.lap("venv + install")

    work = tmp_path / "empty"
    work.mkdir()
    env = _env(PREFECT_HOME=str(tmp_path / "prefect-home"))
    located = _run(
        [bindir / "python", "-c", "import dxplan; print(dxplan.__file__)"], cwd=work, env=env
    ).stdout.strip()
    assert Path(located).resolve().is_relative_to(site.resolve()), located
    package = site / "dxplan"
    before = _package_files(package)

    init = _run([bindir / "dxplan", "init"], cwd=work, env=env, timeout=60)
    assert "dxplan run" in init.stdout
    assert (work / "raw").is_dir() and (work / "warehouse").is_dir()
    shutil.copy(SEED, work / "raw" / SEED.name)

    clock.lap("init")
    _run([bindir / "dxplan", "run"], cwd=work, env=env, timeout=240)  # exit 0
    clock.lap("first run")

    warehouse = work / "warehouse" / "dxplan.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM marts.dim_initiative").fetchone() == (52,)
        assert con.execute("SELECT status FROM audit.load_log").fetchall() == [("published",)]
    finally:
        con.close()
    assert (work / "warehouse" / ".dbt" / "target").is_dir()  # dbt wrote here ...
    assert _package_files(package) == before  # ... and nothing into the installed package
    assert not (work / "dbt_project").exists() and not (work / "target").exists()
    # the shipped dashboard templates were found: the BI outputs are there
    assert (work / "warehouse" / "dashboard" / "index.html").is_file()
    assert list((work / "warehouse" / "exports").rglob("*.parquet"))

    # from any other folder, DXPLAN_HOME names the working folder (nothing changed: fast)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = _run([bindir / "dxplan", "run"], cwd=elsewhere, env={**env, "DXPLAN_HOME": str(work)})
    assert SEED.name in again.stdout
    clock.lap("run with DXPLAN_HOME")
    print(clock)


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return "wheel path: " + ", ".join(f"{n} {s:.1f} s" for n, s in self.laps)
