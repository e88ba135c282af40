"""``dxplan`` command line: run the pipeline once, or serve it on a schedule."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dxplan.settings import DEFAULT_CRON, DEFAULT_TIMEZONE, DEPLOYMENT_NAME, FLOW_NAME

if TYPE_CHECKING:
    from dxplan.prefect_server import TemporaryServer

EXIT_OK, EXIT_REJECTED, EXIT_ERROR, EXIT_BUSY = 0, 1, 2, 75


def _quiet_prefect_defaults() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # a busy 2-core machine can take longer than Prefect's default 20 s to start its
    # temporary API; a timeout there would fail the run for no reason of ours
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _print_summary(summary: dict) -> None:
    counts = summary["counts"]
    print(
        f"dxplan: {counts['published']} published, {counts['unchanged']} unchanged, "
        f"{counts['rejected']} rejected in {summary['seconds']:.1f} s -> {summary['warehouse']}"
    )
    for f in summary["files"]:
        line = f"  {f['status']:<9} {Path(f['source_path']).name}"
        if f.get("report_fiscal_year"):
            line += f" (report {f['report_fiscal_year']})"
        if f["status"] == "rejected":
            print(f"dxplan: REJECTED {f['source_path']}: {f['message']}", file=sys.stderr)
        else:
            line += f": {f['message']}" if f.get("message") else ""
        print(line)


#: what the flow says about a file whose sha256 is already the current load (pipeline._unchanged)
UNCHANGED_MESSAGE = "already published (same sha256)"
#: GC thresholds while the heavy modules are imported (CPython's default: 700, 10, 10)
IMPORT_GC_THRESHOLD = (100_000, 50, 100)


def _always_run(args: argparse.Namespace) -> bool:
    if getattr(args, "always_run", False):
        return True
    return os.environ.get("DXPLAN_ALWAYS_RUN", "").strip().lower() in {"1", "true", "yes", "on"}


def _non_empty_dir(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def _nothing_changed(args: argparse.Namespace) -> dict | None:
    """The run summary the flow would print, when every file in raw/ is already the
    current published load and the BI outputs exist; ``None`` when the flow must run.
    Reads the published warehouse read-only and imports neither prefect nor dbt/GX."""
    t0 = time.perf_counter()
    try:
        from dxplan.discover import discover
        from dxplan.publish import published_loads, split_published
        from dxplan.settings import load_settings

        settings = load_settings(args.raw_dir, args.warehouse)
        if not settings.warehouse.is_file():
            return None
        if not (_non_empty_dir(settings.exports_dir) and _non_empty_dir(settings.dashboard_dir)):
            return None
        sources = discover(settings.raw_dir)
        if not sources:
            return None
        known = published_loads(settings.warehouse)  # read-only: works while a run writes
        unchanged, todo = split_published(sources, known)  # as the flow splits them
        if todo:
            return None
        files = [{
            "source_path": str(src.path),
            "status": "unchanged",
            "report_fiscal_year": entry["report_fiscal_year"],
            "message": UNCHANGED_MESSAGE,
        } for src, entry in unchanged]
    except Exception:  # noqa: BLE001 - any doubt: let the flow decide
        return None
    return {
        "counts": {"published": 0, "unchanged": len(files), "rejected": 0},
        "seconds": time.perf_counter() - t0,
        "warehouse": str(settings.warehouse),
        "files": files,
        "ok": True,
    }


#: what the flow imports later (validate: GX; transform: dbt), imported ahead of time
#: while Prefect's temporary server is still starting up
PRELOAD_WHILE_SERVER_STARTS = ("great_expectations", "dbt.cli.main")


def _import_heavy(server: TemporaryServer | None) -> None:
    """Import the flow (prefect); with a server booting meanwhile, also GX and dbt, as
    long as the server is not ready yet: those imports then cost no wall time."""
    import importlib

    import dxplan.pipeline  # noqa: F401

    for name in PRELOAD_WHILE_SERVER_STARTS if server is not None else ():
        if server.is_ready():
            break
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def cmd_run(args: argparse.Namespace) -> int:
    unchanged = _nothing_changed(args)
    if unchanged is not None and not _always_run(args):
        _settle_gc(freeze=False)
        _print_summary(unchanged)
        print("dxplan: nothing changed since the last publish: no Prefect flow run was "
              "started (--always-run or DXPLAN_ALWAYS_RUN=1 forces one)")
        return EXIT_OK

    from dxplan import prefect_server

    server = prefect_server.start_early()
    try:
        # GX and dbt are needed only when there is something to validate and build
        _import_heavy(server if unchanged is None else None)
        _settle_gc()
        from dxplan.pipeline import dxplan_pipeline
        from dxplan.publish import WarehouseBusy

        settings_ctx = contextlib.nullcontext()
        if server is not None:
            try:
                server.wait_until_ready()
            except prefect_server.ServerStartError as exc:
                print(f"dxplan: {exc}", file=sys.stderr)
                return EXIT_ERROR
            settings_ctx = prefect_server.prefect_settings_for(server)
        try:
            with settings_ctx:
                summary = dxplan_pipeline(raw_dir=args.raw_dir, warehouse=args.warehouse)
        except WarehouseBusy as exc:
            print(f"dxplan: {exc}", file=sys.stderr)
            return EXIT_BUSY
        except FileNotFoundError as exc:
            print(f"dxplan: {exc}", file=sys.stderr)
            return EXIT_ERROR
    finally:
        if server is not None:
            prefect_server.drain_prefect_workers()
            server.stop()
    _print_summary(summary)
    return EXIT_OK if summary["ok"] else EXIT_REJECTED


def cmd_serve(args: argparse.Namespace) -> int:
    from prefect.schedules import Cron

    from dxplan.pipeline import dxplan_pipeline

    params = {k: v for k, v in {"raw_dir": args.raw_dir, "warehouse": args.warehouse}.items() if v}
    print(
        f"dxplan: serving {FLOW_NAME}/{DEPLOYMENT_NAME} on cron '{args.cron}' ({args.timezone})",
        flush=True,
    )
    dxplan_pipeline.serve(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(args.cron, timezone=args.timezone)],
        parameters=params,
        global_limit=1,  # one writer: never two runs of the pipeline at once
        description="Picks up new yearly files in raw/, validates and publishes them.",
        tags=["dxplan"],
    )
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from dxplan.settings import load_settings
    from dxplan.template import write_template

    settings = load_settings(None, args.warehouse)
    fmt = args.format or ("xlsx" if str(args.out).endswith(".xlsx") else "csv")
    try:
        out = write_template(settings.warehouse, args.year, Path(args.out), fmt)
    except (LookupError, OSError) as exc:
        print(f"dxplan: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"dxplan: wrote report {args.year} as canonical {fmt.upper()} to {out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dxplan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="one run of the pipeline over every yearly file in raw/")
    run.add_argument("--raw-dir", default=None, help="folder of yearly files (env DXPLAN_RAW_DIR; default raw/)")
    run.add_argument("--warehouse", default=None,
                     help="DuckDB file to publish (env DXPLAN_WAREHOUSE; default warehouse/dxplan.duckdb)")
    run.add_argument("--always-run", action="store_true",
                     help="start the Prefect flow even when nothing in raw/ changed "
                          "(env DXPLAN_ALWAYS_RUN=1)")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="serve the pipeline as a scheduled Prefect deployment")
    serve.add_argument("--cron", default=os.environ.get("DXPLAN_CRON", DEFAULT_CRON),
                       help=f"cron schedule (env DXPLAN_CRON; default '{DEFAULT_CRON}')")
    serve.add_argument("--timezone", default=os.environ.get("DXPLAN_TIMEZONE", DEFAULT_TIMEZONE),
                       help=f"schedule time zone (env DXPLAN_TIMEZONE; default {DEFAULT_TIMEZONE})")
    serve.add_argument("--raw-dir", default=None)
    serve.add_argument("--warehouse", default=None)
    serve.set_defaults(func=cmd_serve)
    template = sub.add_parser(
        "template", help="write a published report year as the canonical CSV/XLSX template")
    template.add_argument("--year", type=int, required=True, help="report_fiscal_year, e.g. 2023")
    template.add_argument("--out", required=True, help="output file (.csv or .xlsx)")
    template.add_argument("--format", choices=("csv", "xlsx"), default=None,
                          help="default: from the file name")
    template.add_argument("--warehouse", default=None)
    template.set_defaults(func=cmd_template)
    from dxplan.deploy import add_deploy_parser  # dxplan deploy --pool NAME (light: no prefect)

    add_deploy_parser(sub)
    return parser


_gc_default: tuple[int, int, int] | None = None


def _tune_gc_for_imports() -> None:
    """prefect + great_expectations + dbt allocate millions of long-lived objects while
    importing; with CPython's default threshold the cyclic GC keeps re-scanning them."""
    global _gc_default
    if "prefect" in sys.modules or _gc_default is not None:
        return  # in-process caller (tests): the heavy imports are done already
    _gc_default = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLD)


def _settle_gc(freeze: bool = True) -> None:
    """After the heavy imports: move what was imported out of the GC's reach
    (gc.freeze: later collections skip it) and go back to the default thresholds."""
    global _gc_default
    if _gc_default is None:
        return
    if freeze:
        gc.freeze()
    gc.set_threshold(*_gc_default)
    _gc_default = None


def main(argv: list[str] | None = None) -> int:
    _quiet_prefect_defaults()
    args = build_parser().parse_args(argv)
    if args.command == "run":
        _tune_gc_for_imports()
    try:
        return args.func(args)
    finally:
        _settle_gc(freeze=False)


if __name__ == "__main__":
    sys.exit(main())
