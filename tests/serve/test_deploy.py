"""`dxplan deploy`: what it registers, against the session's temporary Prefect API (fast;
the end-to-end run on separate workers is tests/serve/test_worker_pool.py)."""

from __future__ import annotations

import json
import socket

import pytest
from dxplan import deploy as dep
from dxplan.cli import build_parser, main

PROCESS_VARS = {"command": {}, "env": {}, "labels": {}, "name": {}, "stream_output": {},
                "working_dir": {}}
DOCKER_VARS = {**PROCESS_VARS, "image": {}, "volumes": {}}


# --------------------------------------------------------------------------- pure parts


def test_parameters_are_absolute_and_optional(tmp_path):
    params = dep.deployment_parameters("raw", "/srv/wh/dxplan.duckdb", tmp_path)
    assert params == {"raw_dir": str(tmp_path / "raw"), "warehouse": "/srv/wh/dxplan.duckdb"}
    assert dep.deployment_parameters(None, None, tmp_path) == {}
    assert dep.deployment_parameters(None, "../wh/x.duckdb", tmp_path / "a") == {
        "warehouse": str(tmp_path / "wh" / "x.duckdb")}


@pytest.mark.parametrize("text, message", [
    ("{nope", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
])
def test_bad_job_variables(text, message):
    with pytest.raises(dep.DeployError, match=message):
        dep.parse_job_variables(text)


def test_job_variables_per_pool_type():
    plain = dep.DeployRequest(pool="p")
    assert dep.job_variables_for(plain, "process", PROCESS_VARS) == {}
    with pytest.raises(dep.DeployError, match="runs no image"):
        dep.job_variables_for(dep.DeployRequest(pool="p", image="x:1"), "process", PROCESS_VARS)
    with pytest.raises(dep.DeployError, match="give --image"):
        dep.job_variables_for(plain, "docker", DOCKER_VARS)
    with_image = dep.DeployRequest(pool="d", image="reg/dxplan:1",
                                   job_variables={"volumes": ["/srv/raw:/data/raw"]})
    assert dep.job_variables_for(with_image, "docker", DOCKER_VARS) == {
        "image": "reg/dxplan:1", "volumes": ["/srv/raw:/data/raw"]}
    with pytest.raises(dep.DeployError, match="no job variable.*volumes"):
        dep.job_variables_for(dep.DeployRequest(pool="p", job_variables={"volumes": []}),
                              "process", PROCESS_VARS)


def test_cli_wires_deploy():
    args = build_parser().parse_args(["deploy", "--pool", "office", "--raw-dir", "r",
                                      "--job-variables", '{"env": {"A": "1"}}'])
    assert args.func is dep.cmd_deploy and args.pool == "office" and args.raw_dir == "r"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["deploy"])  # --pool is required


# --------------------------------------------------------------------------- against an API


@pytest.fixture
def client(prefect_harness):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        yield c


def test_deploy_creates_pool_then_updates(client, tmp_path, capsys):
    pool = f"pool-{tmp_path.name}"[:50]
    first = dep.deploy(dep.DeployRequest(pool=pool, raw_dir="raw", warehouse="wh/x.duckdb"),
                       cwd=tmp_path)
    assert first.pool_created and first.pool_type == "process"
    assert first.entrypoint == dep.ENTRYPOINT == "dxplan.pipeline.dxplan_pipeline"
    wp = client.read_work_pool(pool)
    assert wp.type == "process" and "command" in wp.base_job_template["variables"]["properties"]
    d = client.read_deployment_by_name("dxplan-pipeline/worker")
    assert str(d.id) == first.deployment_id and d.work_pool_name == pool
    assert d.entrypoint == dep.ENTRYPOINT and not d.pull_steps and d.path is None
    assert d.parameters == {"raw_dir": str(tmp_path / "raw"),
                            "warehouse": str(tmp_path / "wh" / "x.duckdb")}
    assert d.global_concurrency_limit.limit == 1
    assert d.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert set(d.parameter_openapi_schema["properties"]) == {"raw_dir", "warehouse"}

    # again, through the CLI, with other defaults and a schedule: the same deployment
    code = main(["deploy", "--pool", pool, "--raw-dir", str(tmp_path / "other"),
                 "--cron", "0 7 * * 1", "--job-variables", '{"env": {"DXPLAN_LOCK_TIMEOUT": "60"}}'])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"on process work pool '{pool}'" in out and "created" not in out
    d2 = client.read_deployment_by_name("dxplan-pipeline/worker")
    assert d2.id == d.id
    assert d2.parameters == {"raw_dir": str(tmp_path / "other")}
    assert d2.job_variables == {"env": {"DXPLAN_LOCK_TIMEOUT": "60"}}
    assert [s.schedule.cron for s in d2.schedules] == ["0 7 * * 1"]
    assert d2.schedules[0].schedule.timezone == "Asia/Tokyo"


def test_existing_pool_of_another_type_needs_an_image(client, tmp_path, capsys):
    from prefect.client.schemas.actions import WorkPoolCreate

    pool = f"docker-{tmp_path.name}"[:50]
    template = {"job_configuration": {"image": "{{ image }}"},
                "variables": {"type": "object", "properties": {
                    "image": {"type": "string", "default": "prefecthq/prefect:3-latest"},
                    "volumes": {"type": "array", "items": {"type": "string"}}}}}
    client.create_work_pool(WorkPoolCreate(name=pool, type="docker", base_job_template=template))
    assert main(["deploy", "--pool", pool]) == 2
    assert "give --image" in capsys.readouterr().err
    assert main(["deploy", "--pool", pool, "--image", "reg/dxplan:1",
                 "--job-variables", json.dumps({"volumes": ["/srv/raw:/data/raw"]})]) == 0
    d = client.read_deployment_by_name("dxplan-pipeline/worker")
    assert d.work_pool_name == pool
    assert d.job_variables == {"image": "reg/dxplan:1", "volumes": ["/srv/raw:/data/raw"]}
    assert client.read_work_pool(pool).type == "docker"  # left as it was


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_api_or_unreachable_api_is_a_settings_error(prefect_harness, capsys):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert main(["deploy", "--pool", "x"]) == 2
    err = capsys.readouterr().err
    assert "no Prefect API configured: set PREFECT_API_URL" in err and "Traceback" not in err

    url = f"http://127.0.0.1:{_closed_port()}/api"
    with temporary_settings(updates={PREFECT_API_URL: url}):
        assert main(["deploy", "--pool", "x"]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Prefect API at {url}" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_format_result_names_the_next_steps():
    result = dep.DeployResult(deployment_id="id", full_name="dxplan-pipeline/worker",
                              pool="office", pool_type="process", pool_created=True,
                              entrypoint=dep.ENTRYPOINT, parameters={}, api_url="http://x/api")
    text = dep.format_result(result, dep.DeployRequest(pool="office"))
    assert "created process work pool 'office'" in text
    assert "prefect worker start --pool office" in text
    assert "decided on" not in text and "DXPLAN_RAW_DIR" in text
