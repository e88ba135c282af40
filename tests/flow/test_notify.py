"""Notices (DXPLAN_NOTIFY_URL, Apprise): a rejected file or a failed run is told to a receiver,
here a JSON endpoint on loopback."""

from __future__ import annotations

import json
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dxplan import notify


@pytest.fixture
def receiver(monkeypatch):
    """A local HTTP endpoint that keeps what is POSTed to it; DXPLAN_NOTIFY_URL points at it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body.decode("utf-8")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DXPLAN_NOTIFY_URL", f"json://127.0.0.1:{server.server_port}/hook")
    yield received
    server.shutdown()
    server.server_close()


def test_a_rejected_file_sends_a_notice(workdir, run_dxplan, receiver):
    raw, warehouse = workdir
    (raw / "broken_R06_FY2024.txt").write_text("これは報告書ではありません\n", encoding="utf-8")
    assert run_dxplan(raw, warehouse) == 1
    assert len(receiver) == 1
    notice = receiver[0]
    assert "1 file(s) rejected" in notice["title"]
    assert "broken_R06_FY2024.txt" in notice["message"]
    assert "cannot read" in notice["message"]  # the reason, as the audit keeps it


def test_a_clean_run_sends_nothing(workdir, run_dxplan, receiver):
    raw, warehouse = workdir
    assert run_dxplan(raw, warehouse) == 0
    assert receiver == []


def test_a_failed_flow_run_sends_a_notice(receiver):
    run = types.SimpleNamespace(name="brave-otter", parameters={"raw_dir": "/data/raw"})
    state = types.SimpleNamespace(name="Crashed", message="worker killed")
    notify.flow_failed(None, run, state)
    assert receiver and "run failed" in receiver[0]["title"]
    assert "brave-otter" in receiver[0]["message"] and "worker killed" in receiver[0]["message"]


def test_an_unreachable_receiver_never_fails_the_caller(monkeypatch):
    monkeypatch.setenv("DXPLAN_NOTIFY_URL", "json://127.0.0.1:9/nothing-listens")
    assert notify.send("title", "body") is False


def test_the_pipeline_flow_has_the_failure_hooks():
    from dxplan.pipeline import dxplan_pipeline

    assert notify.flow_failed in dxplan_pipeline.on_failure_hooks
    assert notify.flow_failed in dxplan_pipeline.on_crashed_hooks
