"""Prefect's fixed cost on its own: a flow that does nothing, run the way ``dxplan run``
runs its flow (no PREFECT_API_URL, so Prefect starts a temporary API server).

    python bench/trivial_flow.py [TASKS]

Prints one JSON object: seconds to import prefect, to get from calling the flow to the
first line of its body (temporary server start-up, flow-run creation), the server
start-up alone, the whole call, and, with TASKS > 0, the cost of one run of a task that
does nothing (the pipeline runs two tasks per file). The orchestrator adds interpreter
start and exit.
"""

from __future__ import annotations

import json
import os
import sys
import time

T0 = time.perf_counter()


def main() -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    t_import = time.perf_counter() - T0
    from prefect.server.api import server as server_mod

    server_seconds: list[float] = []
    start = server_mod.SubprocessASGIServer.start

    def timed_start(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return start(self, *args, **kwargs)
        finally:
            server_seconds.append(time.perf_counter() - t)

    server_mod.SubprocessASGIServer.start = timed_start  # type: ignore[method-assign]
    body_started: list[float] = []
    n_tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    task_seconds: list[float] = []

    @task(name="bench-noop", cache_policy=NO_CACHE)
    def noop(i: int) -> int:
        return i

    @flow(name="bench-trivial")
    def trivial() -> int:
        body_started.append(time.perf_counter())
        if n_tasks:
            noop(-1)  # first task run pays for lazy imports
            t = time.perf_counter()
            for i in range(n_tasks):
                noop(i)
            task_seconds.append((time.perf_counter() - t) / n_tasks)
        return 1

    t_call = time.perf_counter()
    trivial()
    t_end = time.perf_counter()
    print(
        json.dumps(
            {
                "import_prefect": round(t_import, 3),
                "call_to_body": round(body_started[0] - t_call, 3),
                "server_start": round(sum(server_seconds), 3),
                "flow_call": round(t_end - t_call, 3),
                "per_task_run": round(task_seconds[0], 4) if task_seconds else None,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
