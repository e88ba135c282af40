"""The dbt worker process: ``python -m dxplan.dbt_worker`` (started by
:class:`dxplan.transform.DbtWorker`, not by people).

It imports dbt, then answers requests, one JSON object per line on stdin, each a dbt
command line run with ``dbtRunner(...).invoke(args)`` (dbt's public API):

    {"args": ["parse", ...]}                     -> {"done": {...}}
    {"args": ["build", ...], "progress": true}   -> {"progress": [done, total]}... {"done": {...}}
    {"exit": true}                               (or end of input) -> the process ends

A successful ``parse`` keeps its manifest for the commands after it (dbt skips parsing
then). ``done`` holds ``success``, ``exception`` (text or null), ``seconds`` and, for
commands that run nodes, ``nodes``: ``unique_id``, ``resource_type``, ``status``,
``message`` of each.
After every command the worker lets go of the database (so its parent can open it).

Answers go to the original stdout; whatever dbt prints goes to stderr.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import Any, TextIO

#: one process, one run: collect rarely while dbt builds its millions of small objects
GC_THRESHOLD = (100_000, 50, 100)


def _nodes(result: Any) -> list[dict[str, str]]:
    out = []
    for node_result in getattr(result, "results", None) or []:
        node = getattr(node_result, "node", None)
        out.append({
            "unique_id": str(getattr(node, "unique_id", getattr(node, "name", "?"))),
            "resource_type": str(getattr(node, "resource_type", "")),
            "status": str(getattr(node_result, "status", "")),
            "message": str(getattr(node_result, "message", "") or ""),
        })
    return out


def serve(requests: TextIO, answers: TextIO) -> None:
    """Answer ``requests`` until ``exit`` or their end (see the module docstring)."""
    gc.set_threshold(*GC_THRESHOLD)
    from dbt.cli.main import dbtRunner

    from dxplan.transform import NodeProgress, release_duckdb

    gc.freeze()  # dbt's modules: later collections skip them

    def send(message: dict) -> None:
        answers.write(json.dumps(message, ensure_ascii=False) + "\n")
        answers.flush()

    manifest = None
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("exit"):
            break
        args = [str(a) for a in request["args"]]
        callbacks = []
        if request.get("progress"):
            callbacks.append(NodeProgress(lambda done, total: send({"progress": [done, total]})))
        started = time.perf_counter()
        try:
            res = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(args)
            success, exception, result = bool(res.success), res.exception, res.result
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
            success, exception, result = False, exc, None
        finally:
            release_duckdb()
        if args[0] == "parse" and success and exception is None:
            manifest = result
        send({"done": {"success": success and exception is None,
                       "exception": None if exception is None else repr(exception),
                       "nodes": _nodes(result),
                       "seconds": round(time.perf_counter() - started, 3)}})


def main() -> int:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # dbt's own printing goes to stderr: stdout carries the answers only
    serve(sys.stdin, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
