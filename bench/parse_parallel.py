"""Parse throughput with 1 process vs several (docs/OPERATIONS.md, "Scaling out").

Generates N synthetic OCR'd reports with ``bench/generate.py`` (deterministic), then
parses all of them with a ``multiprocessing`` pool of 1, 2, ... processes, as a
process-pool task runner or several workers would: every file is read and parsed in a
worker process and the parsed report (a ``ParsedReport`` dataclass) is pickled back to
the parent, which is where a single writer would stage it. Each pool is warmed up first
(imports and one parse per process are not timed). Prints a Markdown table and, with
``--json``, writes the figures.

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
    from dxplan.parse import parse_bytes

    return parse_bytes(Path(path).read_bytes(), Path(path).name)


def _warm(_: int) -> int:
    import dxplan.parse  # noqa: F401 - import cost is not part of the throughput

    return os.getpid()


def measure(paths: list[str], procs: int, repeat: int) -> dict:
    ctx = mp.get_context("spawn")  # a clean interpreter per process, as a worker has
    with ctx.Pool(procs) as pool:
        pool.map(_warm, range(procs * 4), chunksize=1)
        pool.map(_parse_one, paths[:procs], chunksize=1)  # first parse: lazy rule loading
        runs = []
        for _ in range(repeat):
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            reports = pool.map(_parse_one, paths, chunksize=4)
            wall = time.perf_counter() - t0
            runs.append({"wall_s": wall, "parent_cpu_s": time.process_time() - cpu0,
                         "rows": sum(len(r.rows) for r in reports)})
    walls = [r["wall_s"] for r in runs]
    return {"procs": procs, "wall_s": statistics.median(walls), "walls_s": walls,
            "parent_cpu_s": statistics.median(r["parent_cpu_s"] for r in runs),
            "rows": runs[0]["rows"]}


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
        results = [measure(paths, int(n), args.repeat) for n in args.procs.split(",")]
        load_after = os.getloadavg()[0]

    base = results[0]["wall_s"]  # speed-up against the first count (1 process)
    print(f"{len(paths)} files, {size / 1e6:.1f} MB, {results[0]['rows']} table rows; "
          f"{os.cpu_count()} CPUs; load average {load_before:.1f} before, "
          f"{load_after:.1f} after")
    print("| processes | wall (median) | files/s | MB/s | speed-up | all passes |")
    print("|---|---|---|---|---|---|")
    for r in results:
        r["files_per_s"] = len(paths) / r["wall_s"]
        r["mb_per_s"] = size / 1e6 / r["wall_s"]
        r["speedup"] = base / r["wall_s"]
        print(f"| {r['procs']} | {r['wall_s']:.2f} s | {r['files_per_s']:.1f} | "
              f"{r['mb_per_s']:.2f} | {r['speedup']:.2f} | "
              f"{', '.join(f'{w:.2f}' for w in r['walls_s'])} s |")
    if args.json:
        args.json.write_text(json.dumps({
            "files": len(paths), "bytes": size, "cpus": os.cpu_count(),
            "load_before": load_before, "load_after": load_after, "results": results,
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
