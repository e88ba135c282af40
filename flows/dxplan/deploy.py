"""``dxplan deploy --pool NAME``: the pipeline as the Prefect deployment
``dxplan-pipeline/worker`` on a work pool, run by ``prefect worker start --pool NAME``.

How a worker finds the code: the deployment's entrypoint is the *module path*
``dxplan.pipeline.dxplan_pipeline`` (Prefect's ``EntrypointType.MODULE_PATH``), with no
storage and no pull steps. The worker's flow-run process (the worker's own Python:
``python -m prefect.engine``) imports it, so any worker whose Python environment has
dxplan installed runs it, whatever its working folder (a process worker runs each flow
run in a fresh temporary folder). Nothing points at the deploying machine's files.

The one-writer rule on a pool: the deployment has a concurrency limit of 1 with the
ENQUEUE strategy, so when two workers pick up two runs at once the server holds the
second in ``AwaitingConcurrencySlot`` until the first finished, then it runs and
publishes its own files. Runs that bypass the limit (``dxplan run``, ``dxplan serve``,
another deployment on the same warehouse) still meet the warehouse's file lock: the
second waits up to ``DXPLAN_LOCK_TIMEOUT`` s and then fails with ``WarehouseBusy``
(exit 75 from the CLI) without touching anything; its files stay new in raw/ and the
next run publishes them.

Only argparse-level code is imported with the CLI; prefect only when deploying.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dxplan.settings import DEFAULT_TIMEZONE, FLOW_NAME, WORKER_DEPLOYMENT_NAME

EXIT_OK, EXIT_ERROR = 0, 2
#: the type of a pool ``dxplan deploy`` creates when it is missing
POOL_TYPE = "process"
#: importable from any folder of a machine with dxplan installed (no source checkout needed)
ENTRYPOINT = "dxplan.pipeline.dxplan_pipeline"
#: at most one run of the deployment at a time; the others wait for the slot
CONCURRENCY_LIMIT = 1
DESCRIPTION = ("Picks up new yearly files in raw/, validates and publishes them "
               "(one run at a time; parameters raw_dir and warehouse per run).")
TAGS = ["dxplan"]


class DeployError(RuntimeError):
    """Bad usage or settings, or the Prefect API cannot be reached: exit 2, one line."""


@dataclass(frozen=True)
class DeployRequest:
    pool: str
    raw_dir: str | None = None
    warehouse: str | None = None
    cron: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    image: str | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeployResult:
    deployment_id: str
    full_name: str
    pool: str
    pool_type: str
    pool_created: bool
    entrypoint: str
    parameters: dict[str, str]
    api_url: str


# --------------------------------------------------------------------------- pure parts


def deployment_parameters(raw_dir: str | None, warehouse: str | None,
                          cwd: Path) -> dict[str, str]:
    """The deployment's default parameters: absolute paths (a worker runs each flow run
    in a temporary folder, so a relative path would mean nothing there). A parameter
    left out is decided on the worker: its DXPLAN_RAW_DIR / DXPLAN_WAREHOUSE, else
    dxplan's own defaults."""
    params: dict[str, str] = {}
    for name, value in (("raw_dir", raw_dir), ("warehouse", warehouse)):
        if value:
            path = Path(value).expanduser()
            params[name] = str(path if path.is_absolute() else (cwd / path).resolve())
    return params


def parse_job_variables(text: str | None) -> dict[str, Any]:
    """``--job-variables '{"env": {...}, "volumes": [...]}'``: a JSON object."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeployError(f"--job-variables is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DeployError("--job-variables must be a JSON object, e.g. '{\"env\": {}}'")
    return value


def job_variables_for(request: DeployRequest, pool_type: str,
                      template_variables: dict[str, Any]) -> dict[str, Any]:
    """The deployment's job variables on a pool of ``pool_type`` whose base job template
    declares ``template_variables`` (its ``variables.properties``)."""
    variables = dict(request.job_variables)
    if request.image:
        if "image" not in template_variables:
            raise DeployError(f"work pool {request.pool!r} is a {pool_type} pool and runs no "
                              "image: leave out --image")
        variables["image"] = request.image
    elif "image" in template_variables and "image" not in variables:
        # the pool's default image (e.g. prefecthq/prefect) has no dxplan in it
        raise DeployError(f"work pool {request.pool!r} is a {pool_type} pool: give --image "
                          "IMAGE, an image with dxplan installed (docs/OPERATIONS.md)")
    unknown = sorted(set(variables) - set(template_variables)) if template_variables else []
    if unknown:
        raise DeployError(f"work pool {request.pool!r} ({pool_type}) has no job variable(s) "
                          f"{', '.join(unknown)}; it has: {', '.join(sorted(template_variables))}")
    return variables


def deployment_options(request: DeployRequest, cwd: Path) -> dict[str, Any]:
    """Keyword arguments of ``Flow.to_deployment`` for the worker deployment, except the
    ones that need prefect objects (schedules, concurrency limit, entrypoint type)."""
    return {
        "name": WORKER_DEPLOYMENT_NAME,
        "work_pool_name": request.pool,
        "parameters": deployment_parameters(request.raw_dir, request.warehouse, cwd),
        "description": DESCRIPTION,
        "tags": list(TAGS),
        "enforce_parameter_schema": True,
    }


# --------------------------------------------------------------------------- prefect


def configured_api_url() -> str:
    """The Prefect API the workers poll. Without one Prefect would register the deployment
    on a temporary server that is gone when this command ends: refuse instead."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise DeployError("no Prefect API configured: set PREFECT_API_URL to the server the "
                          "workers poll (e.g. http://127.0.0.1:4200/api; "
                          "`prefect server start` runs one)")
    return str(url)


def ensure_work_pool(client, name: str) -> tuple[Any, bool]:
    """The work pool ``name`` (any type), created as a process pool when missing;
    ``(pool, created)``. A concurrent creator is fine: the pool is read again."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        return client.read_work_pool(name), False
    except ObjectNotFound:
        pass
    try:
        pool = client.create_work_pool(WorkPoolCreate(
            name=name, type=POOL_TYPE,
            base_job_template=ProcessWorker.get_default_base_job_template(),
            description="dxplan: runs dxplan-pipeline/worker (prefect worker start --pool "
                        f"{name})",
        ))
    except ObjectAlreadyExists:
        return client.read_work_pool(name), False
    return pool, True


def deploy(request: DeployRequest, cwd: Path | None = None) -> DeployResult:
    """Register ``dxplan-pipeline/worker`` on ``request.pool`` (created when missing)."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    if not request.pool.strip():
        raise DeployError("--pool needs a work pool name")
    url = configured_api_url()
    cwd = Path.cwd() if cwd is None else cwd
    try:
        with get_client(sync_client=True) as client:
            failure = client.api_healthcheck()
            if failure is not None:
                raise DeployError(f"cannot reach the Prefect API at {url}: {failure}")
            pool, created = ensure_work_pool(client, request.pool)
    except httpx.HTTPError as exc:
        raise DeployError(f"the Prefect API at {url} failed: {type(exc).__name__}: {exc}") from None
    from dxplan.pipeline import dxplan_pipeline

    template_variables = (pool.base_job_template or {}).get("variables", {}).get("properties", {})
    options = deployment_options(request, cwd)
    deployment = dxplan_pipeline.to_deployment(
        **options,
        job_variables=job_variables_for(request, pool.type, template_variables),
        schedules=[Cron(request.cron, timezone=request.timezone)] if request.cron else None,
        concurrency_limit=ConcurrencyLimitConfig(
            limit=CONCURRENCY_LIMIT, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    if deployment.entrypoint != ENTRYPOINT:  # the flow was imported under another name
        raise DeployError(f"the flow's entrypoint is {deployment.entrypoint!r}, "
                          f"expected {ENTRYPOINT!r}")
    deployment_id = deployment.apply(work_pool_name=request.pool)
    return DeployResult(
        deployment_id=str(deployment_id),
        full_name=f"{FLOW_NAME}/{WORKER_DEPLOYMENT_NAME}",
        pool=request.pool,
        pool_type=pool.type,
        pool_created=created,
        entrypoint=deployment.entrypoint,
        parameters=options["parameters"],
        api_url=url,
    )


# --------------------------------------------------------------------------- CLI


def add_deploy_parser(sub: argparse._SubParsersAction) -> None:
    """The ``dxplan deploy`` subcommand (wired in cli.build_parser)."""
    p = sub.add_parser(
        "deploy", help="register dxplan-pipeline/worker on a Prefect work pool",
        description="Registers the flow as the deployment dxplan-pipeline/worker on the "
                    "Prefect work pool NAME (a process pool, created when missing), for "
                    "`prefect worker start --pool NAME` on any machine that reaches the "
                    "API (PREFECT_API_URL) and has dxplan installed.")
    p.add_argument("--pool", required=True, metavar="NAME", help="work pool name")
    p.add_argument("--raw-dir", default=None,
                   help="default raw_dir of the runs (made absolute; default: decided on the "
                        "worker, DXPLAN_RAW_DIR or raw/)")
    p.add_argument("--warehouse", default=None,
                   help="default warehouse of the runs (made absolute; default: decided on "
                        "the worker, DXPLAN_WAREHOUSE or warehouse/dxplan.duckdb)")
    p.add_argument("--cron", default=None,
                   help="also run on this cron schedule (default: no schedule, runs are "
                        "triggered with `prefect deployment run`)")
    p.add_argument("--timezone", default=DEFAULT_TIMEZONE,
                   help=f"time zone of --cron (default {DEFAULT_TIMEZONE})")
    p.add_argument("--image", default=None,
                   help="Docker/Kubernetes pools: an image with dxplan installed")
    p.add_argument("--job-variables", default=None, metavar="JSON",
                   help="job variables of the pool's base job template, a JSON object "
                        "(e.g. env, volumes, working_dir)")
    p.set_defaults(func=cmd_deploy)


def cmd_deploy(args: argparse.Namespace) -> int:
    try:
        request = DeployRequest(
            pool=args.pool, raw_dir=args.raw_dir, warehouse=args.warehouse,
            cron=args.cron, timezone=args.timezone, image=args.image,
            job_variables=parse_job_variables(args.job_variables))
        result = deploy(request)
    except DeployError as exc:
        print(f"dxplan: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - e.g. the API refused the deployment
        print(f"dxplan: deploy failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(format_result(result, request))
    return EXIT_OK


def format_result(result: DeployResult, request: DeployRequest) -> str:
    pool = (f"created {result.pool_type} work pool {result.pool!r}" if result.pool_created
            else f"{result.pool_type} work pool {result.pool!r}")
    params = ", ".join(f"{k}={v}" for k, v in result.parameters.items()) or \
        "none (the worker's DXPLAN_RAW_DIR / DXPLAN_WAREHOUSE or dxplan's defaults)"
    lines = [
        f"dxplan: deployed {result.full_name} ({result.deployment_id}) on {pool} "
        f"at {result.api_url}",
        f"  entrypoint {result.entrypoint} (module path: any folder, dxplan installed)",
        f"  default parameters: {params}",
        f"  one run at a time (deployment concurrency limit {CONCURRENCY_LIMIT}, "
        "others wait for the slot)",
    ]
    if request.cron:
        lines.append(f"  schedule: cron '{request.cron}' ({request.timezone})")
    lines += [
        f"  start a worker:  prefect worker start --pool {result.pool}",
        f"  trigger a run:   prefect deployment run {result.full_name} "
        "-p raw_dir=/abs/raw -p warehouse=/abs/warehouse/dxplan.duckdb",
    ]
    return os.linesep.join(lines)
