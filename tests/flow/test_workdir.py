"""The installed tool's working folder, shipped resources, ``dxplan init``, the
cross-platform writer lock. The wheel itself is tested in test_wheel_install.py."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import time

import pytest
from dxplan import cli, transform
from dxplan import workdir as wd
from dxplan.publish import WarehouseBusy, writer_lock
from dxplan.settings import load_settings

from tests.conftest import REPO

FLOWS = REPO / "flows"


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DXPLAN_HOME", "DXPLAN_RAW_DIR", "DXPLAN_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --------------------------------------------------------------------------- working folder


def test_home_is_dxplan_home_when_set(tmp_path, clean_env):
    clean_env.chdir(tmp_path)
    (tmp_path / "raw").mkdir()  # a working folder here does not matter: DXPLAN_HOME wins
    other = tmp_path / "elsewhere"
    assert wd.home({"DXPLAN_HOME": str(other)}) == other.resolve()
    clean_env.setenv("DXPLAN_HOME", str(other))
    settings = load_settings()
    assert settings.raw_dir == other.resolve() / "raw"
    assert settings.warehouse == other.resolve() / "warehouse" / "dxplan.duckdb"


@pytest.mark.parametrize("mark", ["raw", "marker"])
def test_home_is_the_current_folder_when_it_is_a_working_folder(tmp_path, clean_env, mark):
    if mark == "raw":
        (tmp_path / "raw").mkdir()
    else:
        (tmp_path / wd.MARKER).write_text("[dxplan]\n")
    clean_env.chdir(tmp_path)
    assert wd.home({}) == tmp_path.resolve()
    settings = load_settings()
    assert settings.raw_dir == tmp_path.resolve() / "raw"
    assert settings.warehouse.parent == tmp_path.resolve() / "warehouse"


def test_home_falls_back_to_the_checkout_then_to_the_current_folder(tmp_path, clean_env):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert wd.is_source_checkout()  # the tests run from a checkout
    assert wd.home({}, cwd=plain) == REPO.resolve()
    clean_env.setattr(wd, "CHECKOUT_ROOT", tmp_path / "site-packages")  # as in a wheel
    assert not wd.is_source_checkout()
    assert wd.home({}, cwd=plain) == plain.resolve()


def test_options_and_env_still_override_the_working_folder(tmp_path, clean_env):
    (tmp_path / "raw").mkdir()
    clean_env.chdir(tmp_path)
    clean_env.setenv("DXPLAN_WAREHOUSE", str(tmp_path / "w" / "x.duckdb"))
    settings = load_settings(raw_dir=tmp_path / "mine")
    assert settings.raw_dir == (tmp_path / "mine").resolve()
    assert settings.warehouse == (tmp_path / "w" / "x.duckdb").resolve()


# --------------------------------------------------------------------------- resources


def test_resources_come_from_the_checkout_without_a_bundle():
    assert wd.resource_dir("dbt_project") == REPO / "dbt_project"
    assert wd.resource_dir("expectations") == REPO / "expectations"
    settings = load_settings(REPO / "raw", REPO / "warehouse" / "dxplan.duckdb")
    assert (settings.dbt_project_dir / "dbt_project.yml").is_file()
    assert sorted(settings.expectations_dir.glob("*.json"))
    assert not wd.is_bundled(settings.dbt_project_dir)
    with pytest.raises(ValueError, match="unknown resource"):
        wd.resource_dir("raw")


def test_a_bundled_resource_wins_and_is_never_written(tmp_path, monkeypatch):
    pkg = tmp_path / "site-packages" / "dxplan"
    (pkg / wd.BUNDLE / "dbt_project").mkdir(parents=True)
    monkeypatch.setattr(wd, "PACKAGE_DIR", pkg)
    bundled = wd.resource_dir("dbt_project")
    assert bundled == pkg / wd.BUNDLE / "dbt_project"
    assert wd.is_bundled(bundled)
    # no parse cache is read from or written into the installed package ...
    assert transform._shared_parse(bundled) is None
    local = tmp_path / "warehouse" / ".dbt" / "target" / transform.PARTIAL_PARSE
    local.parent.mkdir(parents=True)
    local.write_bytes(b"parse")
    transform._keep_partial_parse(local, transform._shared_parse(bundled))
    assert not list(bundled.rglob("*"))
    # ... while a checkout's project keeps its shared parse in dbt_project/target
    assert transform._shared_parse(REPO / "dbt_project") == (
        REPO / "dbt_project" / "target" / transform.PARTIAL_PARSE
    )


def test_the_rules_and_templates_are_package_data():
    from importlib import resources

    pkg = resources.files("dxplan")
    assert pkg.joinpath("rules", "ocr_fixes.yaml").is_file()
    assert pkg.joinpath("templates", "dashboard.html").is_file()


# --------------------------------------------------------------------------- dxplan init


def test_init_makes_a_working_folder_and_is_idempotent(tmp_path, capsys):
    target = tmp_path / "office" / "dx"
    assert cli.main(["init", str(target)]) == 0
    out = capsys.readouterr().out
    assert (target / "raw").is_dir() and (target / "warehouse").is_dir()
    assert (target / wd.MARKER).is_file() and (target / "README.md").is_file()
    assert wd.is_workdir(target)
    assert f"{target.resolve()} made a dxplan working folder" in out
    assert "created raw/" in out and "dxplan run" in out and "DXPLAN_HOME" in out

    (target / "README.md").write_text("our own notes\n")  # the operator's edits survive
    (target / "raw" / "r.txt").write_text("x")
    assert cli.main(["init", str(target)]) == 0
    out = capsys.readouterr().out
    assert "is already a dxplan working folder" in out and "created" not in out
    assert (target / "README.md").read_text() == "our own notes\n"
    assert (target / "raw" / "r.txt").read_text() == "x"


def test_init_defaults_to_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init"]) == 0
    assert (tmp_path / "raw").is_dir() and (tmp_path / wd.MARKER).is_file()
    out = capsys.readouterr().out
    assert "2. run: dxplan run" in out  # no `cd` needed


def test_init_completes_a_folder_that_has_raw_already(tmp_path):
    (tmp_path / "raw").mkdir()
    result = wd.init_workdir(tmp_path)
    assert tmp_path / "raw" in result.kept
    assert {p.name for p in result.created} == {"warehouse", wd.MARKER, "README.md"}


@pytest.mark.parametrize("where", ["under_a_file", "a_file"])
def test_init_of_an_unwritable_folder_exits_2_with_one_line(tmp_path, capsys, where):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    target = blocker / "dx" if where == "under_a_file" else blocker
    assert cli.main(["init", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dxplan: error: cannot make {target}")
    assert "Traceback" not in captured.err
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_init_of_a_read_only_folder_exits_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert cli.main(["init", str(locked / "dx")]) == 2
    finally:
        locked.chmod(0o755)
    assert "Permission denied" in capsys.readouterr().err


# --------------------------------------------------------------------------- locking


def test_writer_lock_is_exclusive_and_released(tmp_path):
    lock_path = tmp_path / "warehouse" / ".dxplan.duckdb.lock"
    with writer_lock(lock_path, 1):
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="another dxplan run"), writer_lock(lock_path, 0.5):
            pass
        assert time.monotonic() - started >= 0.45  # it waited for the timeout
    with writer_lock(lock_path, 0):  # released: free at once
        pass


def test_writer_lock_holds_across_processes(tmp_path):
    lock_path = tmp_path / ".dxplan.duckdb.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from dxplan.publish import writer_lock
            with writer_lock(Path({str(lock_path)!r}), 5):
                print("held", flush=True)
                sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy), writer_lock(lock_path, 0.3):
            pass
    finally:
        holder.communicate("\n", timeout=30)
    with writer_lock(lock_path, 2):
        pass


# --------------------------------------------------------------------------- portability

#: modules that exist only on POSIX (Windows has none of them)
POSIX_ONLY = {
    "fcntl",
    "resource",
    "termios",
    "tty",
    "pty",
    "pwd",
    "grp",
    "posix",
    "syslog",
    "crypt",
    "nis",
    "spwd",
    "posixpath",
}


#: attributes that exist only on POSIX: fine inside a function that checks the platform,
#: not where the module is imported
POSIX_ONLY_ATTRS = {
    ("os", "getuid"),
    ("os", "geteuid"),
    ("os", "getgid"),
    ("os", "fork"),
    ("os", "killpg"),
    ("os", "setsid"),
    ("os", "getpgid"),
    ("signal", "SIGKILL"),
    ("signal", "SIGHUP"),
    ("signal", "SIGUSR1"),
    ("signal", "SIGUSR2"),
    ("signal", "SIGALRM"),
    ("signal", "SIGCHLD"),
    ("signal", "SIGQUIT"),
    ("signal", "alarm"),
    ("signal", "setitimer"),
}


class _ImportTime(ast.NodeVisitor):
    """What runs when a module is imported: everything but function bodies (decorators
    and default values do run)."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        self.found |= {a.name.split(".")[0] for a in node.names} & POSIX_ONLY

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level and node.module.split(".")[0] in POSIX_ONLY:
            self.found.add(node.module.split(".")[0])

    def visit_Try(self, node: ast.Try) -> None:
        if any(_catches_import_error(h) for h in node.handlers):
            return  # `try: import fcntl except ImportError:` is the portable idiom
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and (node.value.id, node.attr) in POSIX_ONLY_ATTRS:
            self.found.add(f"{node.value.id}.{node.attr}")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for expr in [*node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        isinstance(n, ast.Name) and n.id in {"ImportError", "ModuleNotFoundError"} for n in names
    )


def _import_time_posix_uses(source: str) -> list[str]:
    visitor = _ImportTime()
    visitor.visit(ast.parse(source))
    return sorted(visitor.found)


def test_the_import_time_check_finds_what_it_should():
    assert _import_time_posix_uses("import fcntl") == ["fcntl"]
    assert _import_time_posix_uses("from resource import getrlimit") == ["resource"]
    assert _import_time_posix_uses("import signal\nKILL = signal.SIGKILL") == ["signal.SIGKILL"]
    assert _import_time_posix_uses("def f(s=signal.SIGKILL): pass") == ["signal.SIGKILL"]
    assert _import_time_posix_uses("def f():\n    import fcntl\n    os.getuid()") == []
    assert _import_time_posix_uses("try:\n    import fcntl\nexcept ImportError:\n    pass") == []


def test_nothing_posix_only_is_used_at_import_time():
    offenders = {
        str(path.relative_to(FLOWS)): _import_time_posix_uses(path.read_text(encoding="utf-8"))
        for path in sorted(FLOWS.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _import_without_posix(modules: list[str]) -> subprocess.CompletedProcess:
    blocked = sorted(POSIX_ONLY - {"posix", "posixpath"})  # the interpreter itself needs these
    code = textwrap.dedent(f"""
        import importlib, sys, warnings
        warnings.simplefilter("ignore")
        for name in {blocked!r}:
            sys.modules[name] = None  # `import fcntl` now raises ImportError
        for module in {modules!r}:
            importlib.import_module(module)
        print("ok")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_dxplan_imports_where_fcntl_does_not_exist():
    """As on Windows: the modules `init` and the run's start import load without fcntl & co."""
    proc = _import_without_posix(
        [
            "dxplan.cli",
            "dxplan.publish",
            "dxplan.settings",
            "dxplan.workdir",
            "dxplan.transform",
            "dxplan.discover",
            "dxplan.stage",
            "dxplan.report",
            "dxplan.template",
        ]
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


@pytest.mark.slow
def test_every_dxplan_module_imports_where_fcntl_does_not_exist():
    """The same for every module, the flow's (prefect, GX, dbt imports) included."""
    modules = sorted(
        "dxplan." + ".".join(p.relative_to(FLOWS / "dxplan").with_suffix("").parts)
        for p in (FLOWS / "dxplan").rglob("*.py")
        if p.name != "__init__.py"
    )
    assert "dxplan.pipeline" in modules
    proc = _import_without_posix(modules)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
