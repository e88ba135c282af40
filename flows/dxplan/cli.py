"""dxplan: validated DuckDB marts of Fukushima Prefecture's yearly DX progress reports.

Drop a yearly report (the OCR'd text, the report PDF, or the canonical CSV/XLSX template)
into raw/ and run: dxplan run. It is parsed, checked and published to
warehouse/dxplan.duckdb, with exports and a dashboard beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dxplan.errors import UsageError
from dxplan.i18n import set_lang, t, t_in
from dxplan.settings import DEFAULT_CRON, DEFAULT_TIMEZONE, DEPLOYMENT_NAME, FLOW_NAME, Settings

if TYPE_CHECKING:
    from dxplan.prefect_server import TemporaryServer

EXIT_OK, EXIT_REJECTED, EXIT_ERROR, EXIT_BUSY = 0, 1, 2, 75
#: an unexpected failure (a bug, a full disk): not a rejected file and not bad usage
EXIT_FAILED = 70
#: published to DuckDB, but a publish target (PostgreSQL) failed; the next run retries it
EXIT_TARGET_FAILED = 3


def _quiet_prefect_defaults() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # a busy 2-core machine can take longer than Prefect's default 20 s to start its
    # temporary API; a timeout there would fail the run for no reason of ours
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _print_summary(summary: dict, settings: Settings | None = None) -> None:
    counts = summary["counts"]
    print(t("summary.head", published=counts["published"], unchanged=counts["unchanged"],
            rejected=counts["rejected"], seconds=summary["seconds"],
            warehouse=summary["warehouse"]))
    for f in summary["files"]:
        status = t(f"summary.status.{f['status']}")
        line = f"  {status:<9} {Path(f['source_path']).name}"
        if f.get("report_fiscal_year"):
            line += " " + t("summary.report", year=f["report_fiscal_year"])
        if f["status"] == "rejected":
            print(t("summary.rejected", file=f["source_path"], message=_file_message(f)),
                  file=sys.stderr)
        else:
            message = _file_message(f)
            line += f": {message}" if message else ""
        print(line)
        warnings = f.get("warnings") or []
        if warnings:
            print(t("summary.warnings", n=len(warnings)))
            for w in warnings:
                print(f"      - {_one_line(w)}")
    for target in summary.get("targets") or []:
        print(f"  {target['status']:<9} {target['target']}: {target['message']}")
    if settings is not None:
        outputs = [("dashboard", settings.dashboard_dir / "index.html"),
                   ("data_docs", settings.data_docs_dir / "dxplan_validation.html"),
                   ("exports", settings.exports_dir)]
        present = [(k, p) for k, p in outputs if p.exists()]
        if present:
            print(t("summary.outputs"))
            for key, path in present:
                print(t(f"summary.out.{key}", path=path))


def _file_message(f: dict) -> str:
    """The flow's message for a file (kept in English in the audit), in the user's language."""
    if f.get("message_key"):
        return t(f["message_key"], **dict(f.get("message_fields") or ()))
    return f.get("message") or ""


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: what the flow says of a file already published (dxplan.load.unchanged_result says the same)
UNCHANGED_KEY = "msg.unchanged"
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
        from dxplan.publish import read_published, split_published
        from dxplan.settings import load_settings

        settings = load_settings(args.raw_dir, args.warehouse)
        if not settings.warehouse.is_file():
            return None
        if not (_non_empty_dir(settings.exports_dir) and (settings.dashboard_dir / "index.html").is_file()):
            return None
        sources = discover(settings.raw_dir)
        if not sources:
            return None
        published = read_published(settings.warehouse)  # read-only: works while a run writes
        unchanged, todo = split_published(sources, published.loads)  # as the flow splits them
        if todo:
            return None
        if os.environ.get("DXPLAN_POSTGRES_URL", "").strip():
            from dxplan.postgres import pending

            if pending(settings.warehouse):  # a PostgreSQL publish is still due
                return None
        from dxplan.transform import project_fingerprint

        built = published.built
        if built is not None and built != project_fingerprint(settings.dbt_project_dir):
            return None  # the marts come from another version of the dbt project
        files = [{
            "source_path": str(src.path),
            "status": "unchanged",
            "report_fiscal_year": entry["report_fiscal_year"],
            "message": t_in("en", UNCHANGED_KEY),
            "message_key": UNCHANGED_KEY,
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


#: what the flow imports later, imported ahead of time while Prefect's temporary server is
#: still starting up: Prefect's flow engine (its first flow call imports it, ≈ 0.4 s) and
#: GX (validate)
PRELOAD_WHILE_SERVER_STARTS = ("prefect.flow_engine", "dxplan.validation.gx_import")


def _import_heavy(server: TemporaryServer | None) -> None:
    """Import the flow (prefect); with a server booting meanwhile, also GX, as long as
    the server is not ready yet: that import then costs no wall time (dbt is imported
    by its own process, dxplan.transform.DbtWorker)."""
    import importlib

    import dxplan.pipeline  # noqa: F401

    for name in PRELOAD_WHILE_SERVER_STARTS if server is not None else ():
        if server.is_ready():
            break
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _start_dbt_early(settings: Settings) -> None:
    """dbt's worker process for the run's build file, started now: it imports dbt and
    parses the project while Prefect's server finishes starting and the flow reads and
    validates (the pipeline takes it, dxplan.transform.take_worker)."""
    from dxplan.publish import build_path_for
    from dxplan.transform import start_spare

    try:
        start_spare(build_path_for(settings.warehouse), settings.dbt_project_dir,
                    settings.dbt_target_dir, settings.dbt_log_dir)
    except OSError as exc:  # the run starts its own worker, and says why if it cannot
        print(f"dxplan: could not start dbt early: {exc}", file=sys.stderr)


def _settings(args: argparse.Namespace) -> Settings:
    from dxplan.settings import load_settings

    return load_settings(getattr(args, "raw_dir", None), getattr(args, "warehouse", None))


def check_run_paths(settings: Settings) -> None:
    """Usage errors a run can see before it starts anything (raises UsageError)."""
    raw = settings.raw_dir
    if not raw.exists():
        raise UsageError(t("error.raw_missing", path=raw))
    if not raw.is_dir():
        raise UsageError(t("error.raw_not_dir", path=raw))
    if not os.access(raw, os.R_OK | os.X_OK):
        raise UsageError(t("error.raw_unreadable", path=raw))
    folder = settings.warehouse_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(t("error.warehouse_dir", path=folder,
                           reason=exc.strerror or exc)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(t("error.warehouse_dir", path=folder, reason="permission denied"))
    if settings.warehouse.is_dir():
        raise UsageError(t("error.warehouse_dir", path=settings.warehouse,
                           reason="it is a folder, not a file"))


def cmd_run(args: argparse.Namespace) -> int:
    from dxplan.postgres import BadTarget, target_url, url_override

    try:
        with url_override(getattr(args, "postgres_url", None)):
            target_url()  # DXPLAN_POSTGRES_URL, checked before anything runs
            return _cmd_run(args)
    except BadTarget as exc:
        raise UsageError(str(exc)) from None


def _cmd_run(args: argparse.Namespace) -> int:
    from dxplan.notify import check_urls

    settings = _settings(args)
    check_run_paths(settings)
    check_urls()
    unchanged = _nothing_changed(args)
    if unchanged is not None and not _always_run(args):
        _settle_gc(freeze=False)
        _print_summary(unchanged)
        print(t("run.nothing_changed"))
        return EXIT_OK
    print(t("run.starting", raw=settings.raw_dir, warehouse=settings.warehouse),
          file=sys.stderr, flush=True)

    from dxplan import prefect_server

    server = prefect_server.start_early()
    try:
        # GX and dbt are needed only when there is something to validate and build
        _import_heavy(server if unchanged is None else None)
        _settle_gc()
        if unchanged is None:
            _start_dbt_early(settings)
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
            print(t("error.busy", message=exc), file=sys.stderr)
            return EXIT_BUSY
        except FileNotFoundError as exc:
            print(t("error.prefix", message=exc), file=sys.stderr)
            return EXIT_ERROR
    finally:
        from dxplan.transform import close_spare

        close_spare()
        if server is not None:
            prefect_server.drain_prefect_workers()
            server.stop()
    _print_summary(summary, settings)
    failed = [x for x in summary.get("targets") or [] if x["status"] != "published"]
    for target in failed:
        print(t("error.target_failed", target=target["target"], message=target["message"]),
              file=sys.stderr)
    if not summary["ok"]:
        return EXIT_REJECTED
    return EXIT_TARGET_FAILED if failed else EXIT_OK


def check_schedule(cron: str, timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(t("error.bad_env", name="DXPLAN_TIMEZONE / --timezone", value=timezone,
                           reason="not a time zone name such as Asia/Tokyo")) from None
    from cronsim import CronSim, CronSimError

    try:
        CronSim(cron, __import__("datetime").datetime(2024, 1, 1))
    except CronSimError as exc:
        raise UsageError(t("error.bad_env", name="DXPLAN_CRON / --cron", value=cron,
                           reason=str(exc))) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from dxplan.notify import check_urls

    check_schedule(args.cron, args.timezone)
    check_run_paths(_settings(args))
    check_urls()
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
    settings = _settings(args)
    if not settings.warehouse.is_file():
        raise UsageError(t("error.no_warehouse", path=settings.warehouse))
    from dxplan.template import write_template

    fmt = args.format or ("xlsx" if str(args.out).endswith(".xlsx") else "csv")
    try:
        out = write_template(settings.warehouse, args.year, Path(args.out), fmt)
    except (LookupError, OSError) as exc:
        raise UsageError(str(exc)) from None
    print(t("template.wrote", year=args.year, fmt=fmt.upper(), out=out))
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from dxplan.workdir import InitError, init_workdir

    try:
        result = init_workdir(args.dir)
    except InitError as exc:
        raise UsageError(str(exc)) from None
    print("\n".join(result.summary_lines()))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from dxplan.check import check_files, render_text

    report = check_files([Path(p) for p in args.files], _settings(args))
    print(report.to_json() if args.json else render_text(report))
    return EXIT_OK if report.ok else EXIT_REJECTED


EPILOG = """\
examples:
  dxplan init dx-office                   make a working folder (raw/, warehouse/)
  dxplan run                              publish every new file in raw/
  dxplan check raw/report_R06.pdf         what publishing one file would change
  dxplan check new.txt --json             the same, machine-readable
  dxplan template --year 2023 --out r.xlsx   a published year as the canonical template
  dxplan serve --cron '0 6 * * *'         run every day at 06:00 (needs a Prefect server)

exit codes:
  0   success (every file published or unchanged; check: the files would publish)
  1   a file was rejected (check: would be rejected); the reason is on stderr
  2   bad usage or settings: one line says what is wrong
  3   published to DuckDB, but PostgreSQL (DXPLAN_POSTGRES_URL) failed: the next run retries
  75  another run holds the warehouse: try again later
  70  an unexpected error (DXPLAN_DEBUG=1 shows the traceback)

environment:
  DXPLAN_HOME                          the working folder (holds raw/ and warehouse/)
  DXPLAN_RAW_DIR, DXPLAN_WAREHOUSE     default folder of yearly files, warehouse file
  DXPLAN_MAX_FILE_BYTES                largest file accepted, in bytes (e.g. 8388608)
  DXPLAN_LOCK_TIMEOUT                  seconds to wait for another run (default 300)
  DXPLAN_CRON, DXPLAN_TIMEZONE         schedule of dxplan serve
  DXPLAN_NOTIFY_URL                    Apprise URL told about rejected files and failed runs
  DXPLAN_POSTGRES_URL                  also publish the marts to this PostgreSQL database
  DXPLAN_LANG                          en or ja (default: from LANG)
  DXPLAN_ALWAYS_RUN=1                  run the flow even when nothing changed

documentation: README.md and docs/ in the project
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dxplan")
    except PackageNotFoundError:
        from dxplan import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show the version and exit"):  # noqa: A002 - argparse's own name
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"dxplan {_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="dxplan", description=__doc__, epilog=EPILOG,
                                     formatter_class=fmt)
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--lang", choices=("en", "ja"), default=None,
                        help="language of messages (env DXPLAN_LANG; default from LANG)")
    common = argparse.ArgumentParser(add_help=False)  # --lang after the command too
    common.add_argument("--lang", choices=("en", "ja"), default=argparse.SUPPRESS,
                        help="language of messages (env DXPLAN_LANG; default from LANG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="one run of the pipeline over every yearly file in raw/",
                         description="Parse, validate and publish every new yearly file.",
                         epilog=EPILOG, formatter_class=fmt, parents=[common])
    run.add_argument("--raw-dir", default=None,
                     help="folder of yearly files (env DXPLAN_RAW_DIR; default raw/)")
    run.add_argument("--warehouse", default=None,
                     help="DuckDB file to publish (env DXPLAN_WAREHOUSE; "
                          "default warehouse/dxplan.duckdb)")
    run.add_argument("--always-run", action="store_true",
                     help="start the Prefect flow even when nothing in raw/ changed "
                          "(env DXPLAN_ALWAYS_RUN=1)")
    run.add_argument("--postgres-url", default=None,
                     help="also publish the marts to this PostgreSQL database, "
                          "postgresql://user:password@host:port/db (env DXPLAN_POSTGRES_URL)")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser(
        "check", help="what publishing FILE(s) would change; publishes nothing",
        description="Read and validate FILE(s) exactly as a run would, against the published "
                    "warehouse, and print what publishing them would change. The warehouse "
                    "is left byte for byte as it was.",
        epilog=EPILOG, formatter_class=fmt, parents=[common])
    check.add_argument("files", nargs="+", metavar="FILE", help="yearly report file(s)")
    check.add_argument("--warehouse", default=None,
                       help="published DuckDB file (env DXPLAN_WAREHOUSE)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=cmd_check)

    serve = sub.add_parser("serve", help="serve the pipeline as a scheduled Prefect deployment",
                           epilog=EPILOG, formatter_class=fmt, parents=[common])
    serve.add_argument("--cron", default=os.environ.get("DXPLAN_CRON", DEFAULT_CRON),
                       help=f"cron schedule (env DXPLAN_CRON; default '{DEFAULT_CRON}')")
    serve.add_argument("--timezone", default=os.environ.get("DXPLAN_TIMEZONE", DEFAULT_TIMEZONE),
                       help=f"schedule time zone (env DXPLAN_TIMEZONE; default {DEFAULT_TIMEZONE})")
    serve.add_argument("--raw-dir", default=None)
    serve.add_argument("--warehouse", default=None)
    serve.set_defaults(func=cmd_serve)
    template = sub.add_parser(
        "template", help="write a published report year as the canonical CSV/XLSX template",
        epilog=EPILOG, formatter_class=fmt, parents=[common])
    template.add_argument("--year", type=int, required=True, help="report_fiscal_year, e.g. 2023")
    template.add_argument("--out", required=True, help="output file (.csv or .xlsx)")
    template.add_argument("--format", choices=("csv", "xlsx"), default=None,
                          help="default: from the file name")
    template.add_argument("--warehouse", default=None)
    template.set_defaults(func=cmd_template)
    init = sub.add_parser(
        "init", help="make DIR (default: the current folder) a dxplan working folder",
        epilog=EPILOG, formatter_class=fmt, parents=[common])
    init.add_argument("dir", nargs="?", default=None, metavar="DIR",
                      help="folder to create or complete: raw/, warehouse/, dxplan.toml, README.md")
    init.set_defaults(func=cmd_init)
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
    args = build_parser().parse_args(argv)  # bad options: argparse says so, exit 2
    set_lang(args.lang)
    if args.command == "run":
        _tune_gc_for_imports()
    try:
        return args.func(args)
    except UsageError as exc:
        print(t("error.prefix", message=exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the operator, not a traceback
        if os.environ.get("DXPLAN_DEBUG"):
            raise
        from dxplan.publish import WarehouseBusy

        if isinstance(exc, WarehouseBusy):
            print(t("error.busy", message=exc), file=sys.stderr)
            return EXIT_BUSY
        print(t("error.internal", error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    finally:
        _settle_gc(freeze=False)


if __name__ == "__main__":
    sys.exit(main())
