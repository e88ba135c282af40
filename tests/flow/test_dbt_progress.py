"""dbt's progress in the run log: every tenth of the nodes, never more than the total."""

from __future__ import annotations

from types import SimpleNamespace

from dxplan.transform import NodeProgress


def _event(name: str, **data) -> SimpleNamespace:
    return SimpleNamespace(info=SimpleNamespace(name=name), data=SimpleNamespace(**data))


def _finished(node: str) -> SimpleNamespace:
    return _event("NodeFinished", node_info=SimpleNamespace(unique_id=node))


def test_progress_counts_each_node_once_and_stops_at_the_total():
    seen: list[tuple[int, int]] = []
    progress = NodeProgress(lambda done, total: seen.append((done, total)), steps=2)
    progress(_event("LogStartLine", total=4))
    for node in ["a", "b", "b", "c", "d", "e"]:  # b reported twice, e beyond the total
        progress(_finished(node))
    assert seen == [(2, 4), (4, 4)]
