"""Parse throughput with 1 process vs several (docs/OPERATIONS.md, "Scaling out").

Generates N synthetic OCR'd reports with ``bench/generate.py`` (deterministic), then
parses all of them with a ``multiprocessing`` pool of 1, 2, ... processes, as a
process-pool task runner or several workers would: every file is read and parsed in a
worker process and the parsed report (a ``ParsedReport`` dataclass) is pickled back to
the parent, which is where a single writer would stage it. Each pool is warmed up first
(imports and one parse per process are not timed). Prints a Markdown table and, with
``--json``, writes the figures.

On a shared machine the second core may be busy with someone else's work: each pass is
therefore followed by the same number of pure-CPU tasks (a loop calibrated to one parse's
CPU time) on the same pool. Their speed-up is what the machine offers at that moment;
the parse speed-up divided by it is the parser's own parallel efficiency.

    .venv/bin/python bench/parse_parallel.py                      # 250 files, 1 and 2 processes
    .venv/bin/python bench/parse_parallel.py --n 100 --procs 1,2,4 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _parse_one(path: str):
    """The parsed report and the CPU seconds this process spent on it."""
    from dxplan.parse import parse_bytes

    cpu0 = time.process_time()
    report = parse_bytes(Path(path).read_bytes(), Path(path).name)
    return report, time.process_time() - cpu0


def _spin(iterations: int) -> float:
    """Pure CPU, no data: the speed-up the machine itself offers right now."""
    cpu0 = time.process_time()
    x = 0
    for i in range(iterations):
        x += i * i
    return time.process_time() - cpu0


def _warm(_: int) -> int:
    import dxplan.parse  # noqa: F401 - import cost is not part of the throughput

    return os.getpid()


def _one_pass(pool, paths: list[str], spin: int) -> dict:
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    parsed = pool.map(_parse_one, paths, chunksize=4)
    wall = time.perf_counter() - t0
    parent_cpu = time.process_time() - cpu0
    t1 = time.perf_counter()
    pool.map(_spin, [spin] * len(paths), chunksize=4)  # same number of tasks, pure CPU
    return {"wall_s": wall, "parent_cpu_s": parent_cpu,
            "worker_cpu_s": sum(cpu for _, cpu in parsed),
            "rows": sum(len(r.rows) for r, _ in parsed),
            "spin_wall_s": time.perf_counter() - t1}


def measure(paths: list[str], counts: list[int], repeat: int) -> list[dict]:
    """Pools of every size stay up side by side; the timed passes alternate between them
    (1, 2, 1, 2, ...) so that a change in the machine's load hits every size alike."""
    ctx = mp.get_context("spawn")  # a clean interpreter per process, as a worker has
    pools = [ctx.Pool(n) for n in counts]
    try:
        for n, pool in zip(counts, pools, strict=True):
            pool.map(_warm, range(n * 4), chunksize=1)
            pool.map(_parse_one, paths[:n], chunksize=1)  # first parse: lazy rule loading
        # spin as much CPU per task as one parse takes
        per_parse = statistics.median(cpu for _, cpu in pools[0].map(_parse_one, paths[:8]))
        per_million = pools[0].apply(_spin, (1_000_000,))
        spin = max(1, int(per_parse / per_million * 1_000_000))
        runs: list[list[dict]] = [[] for _ in counts]
        for _ in range(repeat):
            for i, pool in enumerate(pools):
                runs[i].append(_one_pass(pool, paths, spin))
    finally:
        for pool in pools:
            pool.terminate()
            pool.join()
    out = []
    for n, rs in zip(counts, runs, strict=True):
        walls = [r["wall_s"] for r in rs]
        out.append({"procs": n, "wall_s": statistics.median(walls), "walls_s": walls,
                    "parent_cpu_s": statistics.median(r["parent_cpu_s"] for r in rs),
                    "worker_cpu_s": statistics.median(r["worker_cpu_s"] for r in rs),
                    "spin_wall_s": statistics.median(r["spin_wall_s"] for r in rs),
                    "rows": rs[0]["rows"]})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=250, help="synthetic files (default 250)")
    parser.add_argument("--procs", default="1,2", help="process counts (default 1,2)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per count")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the files go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="dxplan-parse-") as tmp:
        raw = (args.workdir or Path(tmp)) / f"raw{args.n}"
        if not raw.is_dir() or len(list(raw.glob("*.txt"))) != args.n:
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(args.n),
                            str(raw)], check=True, stdout=subprocess.DEVNULL)
        paths = sorted(str(p) for p in raw.glob("*.txt"))
        size = sum(Path(p).stat().st_size for p in paths)
        load_before = os.getloadavg()[0]
        results = measure(paths, [int(n) for n in args.procs.split(",")], args.repeat)
        load_after = os.getloadavg()[0]

    base = results[0]["wall_s"]  # speed-up against the first count (1 process)
    print(f"{len(paths)} files, {size / 1e6:.1f} MB, {results[0]['rows']} table rows; "
          f"{os.cpu_count()} CPUs; load average {load_before:.1f} before, "
          f"{load_after:.1f} after")
    spin_base = results[0]["spin_wall_s"]
    print("| processes | wall (median) | files/s | MB/s | speed-up | same CPU as pure loop: "
          "speed-up | parse CPU per file | parent CPU (unpickling) | all passes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        r["files_per_s"] = len(paths) / r["wall_s"]
        r["mb_per_s"] = size / 1e6 / r["wall_s"]
        r["speedup"] = base / r["wall_s"]
        r["spin_speedup"] = spin_base / r["spin_wall_s"]
        print(f"| {r['procs']} | {r['wall_s']:.2f} s | {r['files_per_s']:.1f} | "
              f"{r['mb_per_s']:.2f} | {r['speedup']:.2f} | {r['spin_speedup']:.2f} | "
              f"{r['worker_cpu_s'] / len(paths) * 1000:.0f} ms | {r['parent_cpu_s']:.2f} s | "
              f"{', '.join(f'{w:.2f}' for w in r['walls_s'])} s |")
    if args.json:
        args.json.write_text(json.dumps({
            "files": len(paths), "bytes": size, "cpus": os.cpu_count(),
            "load_before": load_before, "load_after": load_after, "results": results,
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
