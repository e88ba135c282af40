"""``dxplan`` command line: run the pipeline once, or serve it on a schedule."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dxplan.settings import DEFAULT_CRON, DEFAULT_TIMEZONE, DEPLOYMENT_NAME, FLOW_NAME

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


def cmd_run(args: argparse.Namespace) -> int:
    from dxplan.pipeline import dxplan_pipeline
    from dxplan.publish import WarehouseBusy

    try:
        summary = dxplan_pipeline(raw_dir=args.raw_dir, warehouse=args.warehouse)
    except WarehouseBusy as exc:
        print(f"dxplan: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except FileNotFoundError as exc:
        print(f"dxplan: {exc}", file=sys.stderr)
        return EXIT_ERROR
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
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_prefect_defaults()
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
