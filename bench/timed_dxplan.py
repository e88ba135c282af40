"""``dxplan`` with timers around the phases of a run (benchmark only).

    python bench/timed_dxplan.py run --raw-dir DIR --warehouse FILE

does exactly what the ``dxplan`` console script does (``dxplan.cli.main``) and, when the
environment variable ``DXPLAN_BENCH_TIMINGS`` names a file, writes there a JSON object
with the seconds spent in each phase. Nothing is imported early: the timers are put on
the modules when the run itself imports them (an import hook), so a run that never
imports Great Expectations or dbt (nothing changed) is not slowed down by the bench.

Timed (sums over the run; ``*_n`` = number of calls):

* ``prefect_server_wait`` — how long ``dxplan run`` waited for the temporary API server it
  started early (``dxplan.prefect_server``), after its imports; ``prefect_server_start`` —
  Prefect's own start of that server (subprocess start until healthy), if Prefect starts it
* ``parse`` — ``dxplan.parse.parse_bytes`` (parse_bytes_n files, parse_bytes_in bytes)
* ``stage`` — ``dxplan.stage.stage_report`` (DuckDB inserts of one report)
* ``validator_init`` — ``Validator.__init__`` (GX import, context, suites)
* ``validate`` — ``Validator.validate_loads`` (one GX run over the loads staged together)
* ``data_docs`` — ``Validator.build_data_docs``
* ``dbt_build`` — ``dxplan.transform.DbtWorker.build`` (waiting for the worker's parse,
  then the build in the worker process); ``dbt_docs`` — ``dxplan.dbt_docs.generate_docs``
* ``exports`` — ``dxplan.exports.export_marts`` (Parquet/CSV exports after the run)
* ``dashboard`` — ``dxplan.dashboard.write_dashboard`` (static dashboard after the run)
* ``post_publish`` — ``dxplan.report.publish_artifacts`` (Prefect artifacts)
* ``record_results`` — ``dxplan.validate.record_results`` (audit rows of one validation)
* ``task_read`` — the read task's body (every file's ``parse-file`` task run, Prefect's
  overhead included), ``task_parse`` — the parse tasks' bodies; ``load`` — the load phase
  (``pipeline.load_task``) and ``task_stage_validate`` — the body of its task
* ``gc`` — Python's cyclic garbage collector (``gc_n`` collections; ``gc2`` / ``gc2_n`` the
  full, generation-2 ones, whose cost grows with the number of live objects)
* ``main`` — ``dxplan.cli.main`` as a whole; ``interpreter_to_main`` — process start to main

``<name>_calls`` keeps the duration of every call of ``parse``, ``stage``, ``validate``,
``record_results`` and ``task_stage_validate``, to see whether the cost of a file grows
with the run.
"""

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMES: dict[str, Any] = {}
# (phase, start, end): seconds since main() started, in the order the phases ended
TIMELINE: list[tuple[str, float, float]] = []
T0 = time.perf_counter()
PER_CALL = ("parse", "stage", "validate", "record_results", "task_stage_validate",
            "worker_command")


def _add(name: str, seconds: float) -> None:
    TIMES[name] = TIMES.get(name, 0.0) + seconds
    TIMES[f"{name}_n"] = TIMES.get(f"{name}_n", 0) + 1
    if name in PER_CALL:
        TIMES.setdefault(f"{name}_calls", []).append(round(seconds, 4))


def _timed(name: str, fn: Callable[..., Any], on_call: Callable[..., None] | None = None):
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if on_call is not None:
            on_call(*args, **kwargs)
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            end = time.perf_counter()
            _add(name, end - t)
            TIMELINE.append((name, round(t - T0, 2), round(end - T0, 2)))

    return wrapper


def _count_bytes(data: bytes, *_: Any, **__: Any) -> None:
    TIMES["parse_bytes_in"] = TIMES.get("parse_bytes_in", 0) + len(data)


def _patch_parse(mod: Any) -> None:
    mod.parse_bytes = _timed("parse", mod.parse_bytes, _count_bytes)


def _patch_stage(mod: Any) -> None:
    mod.stage_report = _timed("stage", mod.stage_report)


def _patch_validate(mod: Any) -> None:
    cls = mod.Validator
    cls.__init__ = _timed("validator_init", cls.__init__)
    cls.validate_loads = _timed("validate", cls.validate_loads)
    cls.build_data_docs = _timed("data_docs", cls.build_data_docs)
    mod.record_results = _timed("record_results", mod.record_results)


def _patch_transform(mod: Any) -> None:
    mod.DbtWorker.build = _timed("dbt_build", mod.DbtWorker.build)


    answer = mod.DbtWorker._answer

    def timed_answer(self: Any, *args: Any, **kwargs: Any) -> dict:
        done = answer(self, *args, **kwargs)
        _add("worker_command", done.get("seconds", 0.0))
        TIMELINE.append(("worker_answer", round(time.perf_counter() - T0, 2),
                         round(time.perf_counter() - T0, 2)))
        return done

    mod.DbtWorker._answer = timed_answer


def _patch_dbt_docs(mod: Any) -> None:
    mod.generate_docs = _timed("dbt_docs", mod.generate_docs)


def _patch_pipeline(mod: Any) -> None:
    # the bodies of the flow's tasks, without Prefect's overhead, and the calls around them
    mod.read_task.fn = _timed("task_read", mod.read_task.fn)
    mod.parse_task.fn = _timed("task_parse", mod.parse_task.fn)
    mod.stage_and_validate_task.fn = _timed("task_stage_validate", mod.stage_and_validate_task.fn)
    mod.load_task = _timed("load", mod.load_task)
    for task in ("discover_task", "transform_task", "publish_task", "outputs_task"):
        getattr(mod, task).fn = _timed(task, getattr(mod, task).fn)
    mod.run_pipeline = _timed("flow_body", mod.run_pipeline)


def _patch_exports(mod: Any) -> None:
    mod.export_marts = _timed("exports", mod.export_marts)


def _patch_dashboard(mod: Any) -> None:
    mod.write_dashboard = _timed("dashboard", mod.write_dashboard)


def _patch_report(mod: Any) -> None:
    mod.publish_artifacts = _timed("post_publish", mod.publish_artifacts)


def _patch_server(mod: Any) -> None:
    cls = getattr(mod, "SubprocessASGIServer", None)
    if cls is not None:
        cls.start = _timed("prefect_server_start", cls.start)


def _patch_early_server(mod: Any) -> None:
    cls = mod.TemporaryServer
    cls.wait_until_ready = _timed("prefect_server_wait", cls.wait_until_ready)


PATCHES: dict[str, Callable[[Any], None]] = {
    "dxplan.parse": _patch_parse,
    "dxplan.stage": _patch_stage,
    "dxplan.validate": _patch_validate,
    "dxplan.transform": _patch_transform,
    "dxplan.pipeline": _patch_pipeline,
    "dxplan.exports": _patch_exports,
    "dxplan.dbt_docs": _patch_dbt_docs,
    "dxplan.dashboard": _patch_dashboard,
    "dxplan.report": _patch_report,
    "prefect.server.api.server": _patch_server,
    "dxplan.prefect_server": _patch_early_server,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader, patch: Callable[[Any], None]) -> None:
        self._loader = loader
        self._patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._patch(module)


class _PatchingFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        patch = PATCHES.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


_GC_START: list[float] = []


def _gc_callback(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _GC_START[:] = [time.perf_counter()]
    elif _GC_START:
        seconds = time.perf_counter() - _GC_START[0]
        _add("gc", seconds)
        if info.get("generation") == 2:
            _add("gc2", seconds)


def _process_age() -> float:
    """Seconds since this process started (Linux /proc), or 0.0."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def main(argv: list[str] | None = None) -> int:
    TIMES["interpreter_to_main"] = _process_age()
    sys.meta_path.insert(0, _PatchingFinder())
    gc.callbacks.append(_gc_callback)
    out = os.environ.get("DXPLAN_BENCH_TIMINGS")
    global T0
    T0 = t = time.perf_counter()
    try:
        from dxplan.cli import main as dxplan_main

        return dxplan_main(argv)
    finally:
        TIMES["main"] = time.perf_counter() - t
        TIMES["timeline"] = TIMELINE
        if out:
            Path(out).write_text(json.dumps(TIMES, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
