"""Benchmark of ``dxplan run``: fixed start-up cost, scaling with the number of files.

    .venv/bin/python bench/run_bench.py                       # sizes 50,125,250
    .venv/bin/python bench/run_bench.py --sizes 50 --skip-large --out /tmp/b.md

Runs, each as a fresh process with a fresh warehouse file (see bench/README.md):

1. Prefect on its own: a flow that does nothing (temporary API server start-up); the
   first time with a new PREFECT_HOME (database migrations), then again.
2. ``dxplan run`` on the seed (``raw/``): a first run as after a fresh install (new
   warehouse, dbt's parse cache ``dbt_project/target/partial_parse.msgpack`` hidden);
   cold (new warehouse); again with nothing changed (no flow run: the CLI's no-op check);
   again with ``--always-run`` (the flow runs and finds nothing new); the cold run also
   once through the ``dxplan`` console script (cross-check).
3. ``dxplan run`` on N synthetic reports (``bench/generate.py``) for each N of --sizes.
4. The same files parsed and their rows inserted with plain DuckDB
   (``bench/plain_duckdb.py``: the parser and the pipeline's own staging code).
5. Parser throughput on the synthetic OCR text and canonical CSV files.
6. dbt and Great Expectations on their own (``bench/frameworks.py``): fixed costs.

``dxplan run`` is started as ``python bench/timed_dxplan.py run ...``, which is the
console script plus timers on the pipeline's phases (no early imports). Wall time, CPU
time and peak RSS of each process come from ``os.wait4``; the peak RSS of the whole
process tree (the Prefect server is a subprocess) is sampled from /proc every 0.1 s.

Prints one summary table (and a phase breakdown), writes both into --out between the
markers ``<!-- bench:results:begin -->`` / ``<!-- bench:results:end -->``, and keeps all
measurements as JSON in the work directory. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
IGNORED = {"README", "README.md", "README.txt", ".gitkeep", ".DS_Store"}

#: the performance targets (2-core machine; docs/BENCHMARKS.md)
TARGET_COLD_S = 20.0
TARGET_RERUN_FRACTION = 1 / 3
TARGET_LARGE_S = 90.0
TARGET_LARGE_N = 250
TARGET_RATIO = 2.2
TARGET_RSS_MB = 1536.0
TARGET_PARSE_MBS = 1.0

_SUMMARY = re.compile(r"dxplan: (\d+) published, (\d+) unchanged, (\d+) rejected")
_DBT = re.compile(r"dbt build: (\d+) models, (\d+) tests in ([\d.]+) s")


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    cmd: list[str]
    rc: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0  # largest single process (wait4 ru_maxrss)
    tree_rss_mb: float = 0.0  # sampled sum over the process tree
    load_before: float = 0.0
    load_after: float = 0.0
    stdout: str = ""
    stderr: str = ""
    lines: list[tuple[float, str]] = field(default_factory=list)  # (s after start, stderr line)
    timings: dict[str, float] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # JSON printed on stdout, if any

    def when(self, pattern: str, last: bool = False) -> float | None:
        """Seconds after the start at which a stderr line matching ``pattern`` arrived
        (the first such line, or the last one)."""
        rx = re.compile(pattern)
        lines = reversed(self.lines) if last else self.lines
        return next((t for t, line in lines if rx.search(line)), None)


def _children_map() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry))
    return out


def _tree_rss_kb(root: int) -> int:
    kids = _children_map()
    todo, total, page_kb = [root], 0, os.sysconf("SC_PAGE_SIZE") // 1024
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page_kb
        todo.extend(kids.get(pid, []))
    return total


def run_proc(name: str, cmd: list[str], env: dict[str, str], timings: Path | None = None) -> Proc:
    proc = Proc(name=name, cmd=cmd, load_before=os.getloadavg()[0])
    env = dict(env)
    if timings is not None:
        timings.unlink(missing_ok=True)
        env["DXPLAN_BENCH_TIMINGS"] = str(timings)
    start = time.perf_counter()
    p = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out_chunks: list[str] = []
    done = threading.Event()
    peak = [0]

    def read_err() -> None:
        assert p.stderr is not None
        for line in p.stderr:
            proc.lines.append((time.perf_counter() - start, line.rstrip("\n")))

    def read_out() -> None:
        assert p.stdout is not None
        out_chunks.append(p.stdout.read())

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss_kb(p.pid))

    threads = [threading.Thread(target=f, daemon=True) for f in (read_err, read_out, sample)]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    proc.wall = time.perf_counter() - start
    done.set()
    p.returncode = proc.rc = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=10)
    proc.cpu = usage.ru_utime + usage.ru_stime
    proc.rss_mb = usage.ru_maxrss / 1024
    proc.tree_rss_mb = peak[0] / 1024
    proc.load_after = os.getloadavg()[0]
    proc.stdout = "".join(out_chunks)
    proc.stderr = "\n".join(line for _, line in proc.lines)
    if timings is not None and timings.exists():
        proc.timings = json.loads(timings.read_text(encoding="utf-8"))
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    if last and last[0].startswith("{"):
        proc.data = json.loads(last[0])
    return proc


# --------------------------------------------------------------------------- one dxplan run


@dataclass
class Run:
    label: str
    files: int
    proc: Proc
    published: int = 0
    unchanged: int = 0
    rejected: int = 0
    dbt_s: float | None = None
    dbt_nodes: str = ""
    plain: Proc | None = None

    @property
    def ok(self) -> bool:
        return self.proc.rc == 0 and self.rejected == 0

    def phase(self, key: str) -> float:
        return float(self.proc.timings.get(key, 0.0))


def dxplan_run(
    label: str,
    raw: Path,
    warehouse: Path,
    env: dict[str, str],
    work: Path,
    console: bool = False,
    extra: tuple[str, ...] = (),
) -> Run:
    args = ["run", "--raw-dir", str(raw), "--warehouse", str(warehouse), *extra]
    if console:
        cmd = [str(VENV_BIN / "dxplan"), *args]
        timings = None
    else:
        cmd = [sys.executable, str(BENCH / "timed_dxplan.py"), *args]
        timings = work / f"timings-{re.sub(r'[^A-Za-z0-9]+', '_', label)}.json"
    proc = run_proc(label, cmd, env, timings)
    files = sum(1 for p in raw.iterdir() if p.is_file() and not p.name.startswith("."))
    run = Run(label=label, files=files, proc=proc)
    m = _SUMMARY.search(proc.stdout)
    if m:
        run.published, run.unchanged, run.rejected = (int(g) for g in m.groups())
    d = _DBT.search(proc.stderr)
    if d:
        run.dbt_nodes = f"{d.group(1)} models, {d.group(2)} tests"
        run.dbt_s = float(d.group(3))
    status = "ok" if run.ok else f"FAILED rc={proc.rc}"
    print(
        f"  {label}: {proc.wall:.1f} s wall, {proc.cpu:.1f} s CPU, {proc.rss_mb:.0f} MB; "
        f"{run.published} published, {run.unchanged} unchanged, {run.rejected} rejected "
        f"[{status}] (load {proc.load_before:.1f} -> {proc.load_after:.1f})",
        flush=True,
    )
    if not run.ok:
        tail = "\n".join(proc.stderr.splitlines()[-15:])
        print(f"    stderr (last lines):\n{tail}", file=sys.stderr)
    return run


def plain_load(label: str, files: list[Path], env: dict[str, str], work: Path) -> Proc:
    db = work / f"plain-{re.sub(r'[^A-Za-z0-9]+', '_', label)}.duckdb"
    cmd = [sys.executable, str(BENCH / "plain_duckdb.py"), str(db), *map(str, files)]
    proc = run_proc(f"plain {label}", cmd, env)
    db.unlink(missing_ok=True)
    print(f"  plain DuckDB {label}: {proc.wall:.1f} s wall ({proc.data})", flush=True)
    return proc


def framework_alone(kind: str, target: Path, env: dict[str, str], work: Path) -> Proc:
    cmd = [sys.executable, str(BENCH / "frameworks.py"), kind, str(target), str(work / kind)]
    proc = run_proc(f"{kind} alone", cmd, env)
    print(f"  {kind} alone: {proc.wall:.1f} s wall ({proc.data})", flush=True)
    return proc


def parse_speed(files: list[Path], env: dict[str, str]) -> Proc:
    cmd = [sys.executable, str(BENCH / "plain_duckdb.py"), "--parse-only", "-", *map(str, files)]
    return run_proc("parse", cmd, env)


@contextlib.contextmanager
def _without_dbt_parse_cache():
    """Hide dbt_project/target/partial_parse.msgpack (the parse a new warehouse starts
    from) for one run, as on a fresh clone; put it back afterwards."""
    cache = ROOT / "dbt_project" / "target" / "partial_parse.msgpack"
    hidden = cache.with_name(cache.name + ".bench-hidden")
    moved = cache.exists()
    if moved:
        os.replace(cache, hidden)
    try:
        yield
    finally:
        if moved:
            os.replace(hidden, cache)


# --------------------------------------------------------------------------- setup


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem_gb = kb / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for dist in ("prefect", "great_expectations", "dbt-core", "dbt-duckdb", "duckdb", "pandas"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # noqa: BLE001 - informational
            versions[dist] = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "date": datetime.now().isoformat(timespec="seconds"),
        "load_start": [round(x, 2) for x in os.getloadavg()],
    }


def base_env(work: Path, prefect_home: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("PREFECT_API_URL", "DXPLAN_RAW_DIR", "DXPLAN_WAREHOUSE", "DXPLAN_BENCH_TIMINGS"):
        env.pop(var, None)
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
        # a loaded machine may need longer than Prefect's default of 20 s; the time it
        # takes is measured either way
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env["PREFECT_HOME"] = str(prefect_home or work / "prefect_home")
    return env


def copy_files(files: list[Path], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy2(f, dest / f.name)
    return dest


def seed_files() -> list[Path]:
    return sorted(
        p
        for p in (ROOT / "raw").iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name not in IGNORED
    )


# --------------------------------------------------------------------------- report


def _s(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f} s"


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**yes**" if ok else "**NO**")


def validation_s(run: Run) -> float:
    return run.phase("validator_init") + run.phase("validate") + run.phase("data_docs")


def summary_table(res: dict[str, Any]) -> str:
    cold: Run = res["cold"]
    rerun: Run = res["rerun"]
    sizes: dict[int, Run] = res["sizes"]
    rows: list[tuple[str, str, str, str]] = []
    pf = res["prefect"]
    rows.append(
        (
            "Prefect alone: flow that does nothing (temporary API server)",
            f"{pf['first'].wall:.1f} s process, of which temporary server start-up "
            f"{pf['first'].data.get('server_start', 0):.1f} s, `import prefect` "
            f"{pf['first'].data.get('import_prefect', 0):.1f} s"
            + (" (new PREFECT_HOME: includes its DB migrations)" if res["prefect_home_new"] else "")
            + f"; again: {pf['warm'].wall - 50 * (pf['warm'].data.get('per_task_run') or 0):.1f} s"
            f" (server {pf['warm'].data.get('server_start', 0):.1f} s); one task run "
            f"{1000 * (pf['warm'].data.get('per_task_run') or 0):.0f} ms",
            "fixed cost",
            "–",
        )
    )
    rows.append(
        (
            f"cold `dxplan run`, seed ({cold.files} file)",
            f"{cold.proc.wall:.1f} s wall, {cold.proc.cpu:.1f} s CPU"
            + (
                f" (console script: {res['console'].proc.wall:.1f} s)" if res.get("console") else ""
            ),
            f"≤ {TARGET_COLD_S:.0f} s",
            _verdict(cold.ok and cold.proc.wall <= TARGET_COLD_S),
        )
    )
    if res.get("first"):
        first: Run = res["first"]
        rows.append(
            (
                "first run after install: cold, and no dbt parse in dbt_project/target yet",
                f"{first.proc.wall:.1f} s wall, {first.proc.cpu:.1f} s CPU (dbt build "
                f"{_s(first.dbt_s)} vs {_s(cold.dbt_s)} in the cold run)",
                "–",
                "–",
            )
        )
    frac = rerun.proc.wall / cold.proc.wall if cold.proc.wall else 0.0
    rows.append(
        (
            "re-run with nothing changed (seed): no flow run, see docs/OPERATIONS.md",
            f"{rerun.proc.wall:.1f} s wall, {rerun.proc.cpu:.1f} s CPU = {frac:.2f} × cold",
            "≤ 1/3 × cold",
            _verdict(rerun.ok and frac <= TARGET_RERUN_FRACTION),
        )
    )
    if res.get("always"):
        always: Run = res["always"]
        frac = always.proc.wall / cold.proc.wall if cold.proc.wall else 0.0
        rows.append(
            (
                "re-run with nothing changed, `--always-run` (the flow runs, finds nothing new)",
                f"{always.proc.wall:.1f} s wall, {always.proc.cpu:.1f} s CPU = {frac:.2f} × cold",
                "–",
                "–",
            )
        )
    for n, run in sorted(sizes.items()):
        plain = run.plain
        target = f"≤ {TARGET_LARGE_S:.0f} s" if n == TARGET_LARGE_N else "–"
        verdict = (
            _verdict(run.ok and run.proc.wall <= TARGET_LARGE_S)
            if n == TARGET_LARGE_N
            else (_verdict(run.ok) if not run.ok else "–")
        )
        rows.append(
            (
                f"N = {n} synthetic files end to end",
                f"{run.proc.wall:.1f} s wall, {run.proc.cpu:.1f} s CPU; "
                f"{run.published}/{n} published"
                + (f"; plain DuckDB load of the same files {plain.wall:.1f} s" if plain else ""),
                target,
                verdict,
            )
        )
    big, half = res.get("ratio_pair") or (None, None)
    if big and half:
        ratio = sizes[big].proc.wall / sizes[half].proc.wall
        slope = (sizes[big].proc.wall - sizes[half].proc.wall) / (big - half)
        rows.append(
            (
                f"linearity: time({big}) / time({half})",
                f"{ratio:.2f}; marginal cost {slope:.2f} s per file",
                f"≤ {TARGET_RATIO}",
                _verdict(ratio <= TARGET_RATIO) if (big, half) == (250, 125) else "–",
            )
        )
    if sizes:
        rows.append(per_file_row(max(sizes), sizes[max(sizes)]))
    ps = res["parse"]
    ocr = ps["ocr"].data
    ocr_rate = ocr["bytes"] / ocr["parse_s"] / 1e6 if ocr.get("parse_s") else 0.0
    csv_txt = ""
    if ps.get("csv"):
        c = ps["csv"].data
        csv_txt = f"; canonical CSV {c['bytes'] / c['parse_s'] / 1e6:.1f} MB/s"
    rows.append(
        (
            "parser throughput",
            f"OCR text {ocr_rate:.2f} MB/s ({ocr['files']} files, {ocr['bytes'] / 1e6:.1f} MB)"
            + csv_txt,
            f"≥ {TARGET_PARSE_MBS:.0f} MB/s",
            _verdict(ocr_rate >= TARGET_PARSE_MBS),
        )
    )
    dbt = [f"seed {_s(cold.dbt_s)}"] + [f"N={n} {_s(r.dbt_s)}" for n, r in sorted(sizes.items())]
    rows.append(
        (
            f"`dbt build` ({cold.dbt_nodes or '?'})",
            ", ".join(dbt),
            "–",
            "–",
        )
    )
    val = [f"seed {validation_s(cold):.1f} s"] + [
        f"N={n} {validation_s(r):.1f} s ({r.phase('validate') / max(1, r.files):.2f} s/file)"
        for n, r in sorted(sizes.items())
    ]
    rows.append(
        ("validation (GX: context + suites, per-load runs, data docs)", ", ".join(val), "–", "–")
    )
    runs = [cold, rerun, *sizes.values()]
    peak = max(r.proc.rss_mb for r in runs)
    tree = max(r.proc.tree_rss_mb for r in runs)
    rows.append(
        (
            "peak RSS (largest process; whole process tree incl. Prefect server)",
            f"{peak:.0f} MB; tree {tree:.0f} MB",
            f"≤ {TARGET_RSS_MB / 1024:.1f} GB",
            _verdict(tree <= TARGET_RSS_MB),
        )
    )
    if cold.plain:
        rows.append(
            (
                "plain DuckDB: same parsed rows, no Prefect/GX/dbt (seed)",
                f"{cold.plain.wall:.1f} s vs `dxplan run` {cold.proc.wall:.1f} s",
                "comparison",
                "–",
            )
        )
    fw = res.get("frameworks") or {}
    for name, label in FRAMEWORK_ROWS:
        if fw.get(name) and fw[name].data:
            text = _framework_text(name, fw[name].wall, fw[name].data)
            rows.append((label, text, "fixed cost", "–"))
    out = ["| measurement | result | target | met |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(out)


#: the frameworks measured alone in a fresh process (bench/frameworks.py), as table rows
FRAMEWORK_ROWS = (
    ("dbt", "dbt alone on the seed warehouse (fresh process)"),
    ("gx", "Great Expectations alone, seed (fresh process)"),
)


def _framework_text(name: str, wall: float, d: dict) -> str:
    """Where the time of one framework's fresh process went."""
    if name == "dbt":
        return (
            f"{wall:.1f} s process: import {d['import_dbt']:.1f} s, `dbt parse` "
            f"from scratch {d['parse_cold']:.1f} s, `dbt build` with a new target dir "
            f"{d['build_cold']:.1f} s, again with partial parsing "
            f"{d['build_partial_parse']:.1f} s ({d['nodes']} nodes, "
            f"{d['node_seconds']:.1f} s in the nodes)"
        )
    return (
        f"{wall:.1f} s process: import {d['import_gx']:.1f} s, Validator "
        f"(context + suites) {d['validator_init']:.1f} s, one load "
        f"{d['validate_one_load']:.1f} s, data docs {d['data_docs']:.1f} s"
    )


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def per_file_row(n: int, run: Run) -> tuple[str, str, str, str]:
    """What one file costs in the largest run, and whether it grows during the run."""
    t = run.proc.timings
    files = max(1, run.files)
    overhead = (t.get("task_read", 0.0) - t.get("task_parse", 0.0)) + (
        t.get("load", 0.0) - t.get("task_stage_validate", 0.0)
    )
    parts = [
        f"parse {t.get('parse', 0.0) / files:.2f}",
        f"stage {t.get('stage', 0.0) / files:.2f}",
        f"GX validate {t.get('validate', 0.0) / files:.3f} ({t.get('validate_n', 0)} GX run(s))",
        f"audit rows {t.get('record_results', 0.0) / files:.2f}",
        f"data docs {t.get('data_docs', 0.0) / files:.2f}",
        f"Prefect task runs {overhead / files:.2f}",
    ]
    growth = []
    for key in ("parse", "stage"):
        calls = t.get(f"{key}_calls") or []
        if len(calls) >= 20:
            growth.append(f"{key} {_mean(calls[:10]):.2f} → {_mean(calls[-10:]):.2f} s")
    text = "; ".join(parts) + " s per file"
    if growth:
        text += " (first 10 files → last 10: " + ", ".join(growth) + ")"
    return (f"cost of one file in the N = {n} run", text, "–", "–")


def breakdown_table(res: dict[str, Any]) -> str:
    extra = [res[k] for k in ("first", "always") if res.get(k)]
    runs: list[Run] = [res["cold"], *extra, res["rerun"],
                       *[r for _, r in sorted(res["sizes"].items())]]
    head = (
        "| run | files | wall | CPU | start-up to flow (imports + Prefect server) "
        "| waited for the Prefect server "
        "| parse | stage | GX init | GX validate | data docs | dbt build "
        "| exports + dashboard | artifacts | shutdown | rest "
        "| plain DuckDB (import / parse / insert) |"
    )
    out = [head, "|" + "---|" * 17]
    for r in runs:
        flow = r.proc.when(r"Beginning flow run")
        t = r.proc.timings
        known = sum(
            t.get(k, 0.0)
            for k in (
                "exports",
                "dashboard",
                "parse",
                "stage",
                "validator_init",
                "validate",
                "data_docs",
                "dbt_build",
                "post_publish",
            )
        )
        stop = r.proc.when(r"Finished in state", last=True)  # the flow run's end
        shutdown = r.proc.wall - stop if stop is not None else None
        rest = r.proc.wall - known - (flow or 0.0) - (shutdown or 0.0)
        server = t.get("prefect_server_wait", t.get("prefect_server_start"))
        plain = r.plain.data if r.plain else {}
        plain_txt = (
            f"{r.plain.wall:.1f} s ({plain.get('import_s', 0):.1f} / {plain.get('parse_s', 0):.1f}"
            f" / {plain.get('insert_s', 0):.1f})"
            if r.plain
            else "–"
        )
        out.append(
            f"| {r.label} | {r.files} | {r.proc.wall:.1f} | {r.proc.cpu:.1f} | {_s(flow)} "
            f"| {_s(server)} | {_s(t.get('parse'))} | {_s(t.get('stage'))} "
            f"| {_s(t.get('validator_init'))} | {_s(t.get('validate'))} "
            f"| {_s(t.get('data_docs'))} | {_s(t.get('dbt_build'))} "
            f"| {_s(t.get('exports', 0.0) + t.get('dashboard', 0.0))} | {_s(t.get('post_publish'))} "
            f"| {_s(shutdown)} | {rest:.1f} s | {plain_txt} |"
        )
    return "\n".join(out)


def machine_text(res: dict[str, Any]) -> str:
    m = res["machine"]
    v = ", ".join(f"{k} {x}" for k, x in m["versions"].items())
    loads = [r.proc.load_before for r in [res["cold"], res["rerun"], *res["sizes"].values()]]
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}, "
        f"Python {m['python']}; {v}. Run {m['date']}; load average at start "
        f"{m['load_start'][0]:.2f} (1 min), before the runs {min(loads):.1f}..{max(loads):.1f}; "
        f"at the end {res['load_end'][0]:.2f}. Synthetic files generated in "
        f"{res['generate_s']:.1f} s."
    )


def write_out(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    section = f"{BEGIN}\n{block}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text else "# Benchmarks\n\n") + section + "\n"
    path.write_text(text, encoding="utf-8")


def _jsonable(res: dict[str, Any]) -> dict[str, Any]:
    def conv(x: Any) -> Any:
        if isinstance(x, Run | Proc):
            d = asdict(x)
            d.pop("stderr", None)
            if "proc" in d:
                d["proc"].pop("stderr", None)
                d["proc"]["lines"] = d["proc"]["lines"][-200:]
            if "lines" in d:
                d["lines"] = d["lines"][-200:]
            return d
        if isinstance(x, dict):
            return {str(k): conv(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [conv(v) for v in x]
        return x

    return conv(res)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,125,250", help="numbers of synthetic files")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--skip-large", action="store_true", help="only sizes <= 50 (quick)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--seed", type=int, default=8, help="random seed of the generator")
    parser.add_argument(
        "--prefect-home",
        type=Path,
        default=None,
        help="PREFECT_HOME for all runs (default: a new one in the work directory)",
    )
    parser.add_argument(
        "--no-console-check",
        action="store_true",
        help="skip the cold run through the dxplan console script",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.skip_large:
        sizes = [n for n in sizes if n <= 50] or [min(sizes)]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dxplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = base_env(work, args.prefect_home)
    res: dict[str, Any] = {"machine": machine(), "sizes": {}, "work": str(work)}
    print(f"dxplan benchmark in {work} (load {res['machine']['load_start']})", flush=True)

    print("Prefect alone (flow that does nothing):", flush=True)
    trivial = [sys.executable, str(BENCH / "trivial_flow.py")]
    res["prefect_home_new"] = not (Path(env["PREFECT_HOME"]) / "prefect.db").exists()
    first = run_proc("prefect first", trivial, env)
    warm = run_proc("prefect warm", [*trivial, "50"], env)
    for p in (first, warm):
        print(f"  {p.name}: {p.wall:.1f} s wall {p.data}", flush=True)
    res["prefect"] = {"first": first, "warm": warm}

    print("dxplan run on the seed:", flush=True)
    seeds = seed_files()
    raw_seed = copy_files(seeds, work / "raw_seed")
    wh = work / "wh_seed" / "dxplan.duckdb"
    with _without_dbt_parse_cache():
        res["first"] = dxplan_run(
            "seed, first run (no dbt parse cache)", raw_seed, work / "wh_first" / "dxplan.duckdb",
            env, work)
    res["cold"] = dxplan_run("seed, cold", raw_seed, wh, env, work)
    res["rerun"] = dxplan_run("seed, unchanged", raw_seed, wh, env, work)
    res["always"] = dxplan_run("seed, unchanged, --always-run", raw_seed, wh, env, work,
                               extra=("--always-run",))
    if not args.no_console_check:
        res["console"] = dxplan_run(
            "seed, cold (console script)",
            raw_seed,
            work / "wh_console" / "dxplan.duckdb",
            env,
            work,
            console=True,
        )
    res["cold"].plain = plain_load("seed", seeds, env, work)
    print("dbt and Great Expectations on their own:", flush=True)
    res["frameworks"] = {
        "dbt": framework_alone("dbt", wh, env, work),
        "gx": framework_alone("gx", seeds[0], env, work),
    }

    print(f"generating {max(sizes)} synthetic reports:", flush=True)
    sys.path.insert(0, str(BENCH))
    import generate  # bench/generate.py

    pool = work / "pool"
    t = time.perf_counter()
    files = generate.generate(max(sizes), pool, formats=("ocr",), seed_value=args.seed)
    res["generate_s"] = time.perf_counter() - t
    csv_files = generate.generate(
        min(max(sizes), len(generate.YEARS)),
        work / "pool_csv",
        formats=("csv",),
        seed_value=args.seed,
    )
    print(f"  {len(files)} OCR files in {res['generate_s']:.1f} s", flush=True)

    for n in sizes:
        print(f"dxplan run on N = {n} files:", flush=True)
        raw = copy_files(files[:n], work / f"raw_{n}")
        run = dxplan_run(f"N = {n}", raw, work / f"wh_{n}" / "dxplan.duckdb", env, work)
        run.plain = plain_load(f"N = {n}", files[:n], env, work)
        res["sizes"][n] = run

    print("parser throughput:", flush=True)
    res["parse"] = {"ocr": parse_speed(files, env), "csv": parse_speed(csv_files, env)}
    for k, p in res["parse"].items():
        d = p.data
        print(f"  {k}: {d['bytes'] / d['parse_s'] / 1e6:.2f} MB/s ({d})", flush=True)

    big = max(sizes)
    half = min(sizes, key=lambda n: abs(n - big / 2))
    res["ratio_pair"] = (big, half) if half != big else None
    res["load_end"] = os.getloadavg()
    block = "\n\n".join(
        [
            summary_table(res),
            "Phase breakdown (seconds; from the timers of `bench/timed_dxplan.py`):",
            breakdown_table(res),
            machine_text(res),
        ]
    )
    print("\n" + block + "\n")
    (work / "results.json").write_text(
        json.dumps(_jsonable(res), indent=1, default=str, ensure_ascii=False), encoding="utf-8"
    )
    if args.out:
        write_out(args.out, block)
        print(f"results written to {args.out} (JSON: {work / 'results.json'})")
    runs = [res["cold"], res["rerun"], *res["sizes"].values()]
    if not args.keep:  # keep results.json and the timings, drop the data
        for sub in work.iterdir():
            if sub.is_dir():
                shutil.rmtree(sub, ignore_errors=True)
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
