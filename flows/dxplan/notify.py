"""Notices: tell someone when a file is rejected or a run fails.

``DXPLAN_NOTIFY_URL`` is an Apprise URL (Apprise comes with Prefect): ``json://host:port/path``
posts JSON, ``mailto://…`` sends mail, ``slack://…``, ``msteams://…`` and the rest of
Apprise's services work as documented there. Several URLs may be given, separated by
spaces or commas. The flow sends the notices itself (see ``dxplan.pipeline``), so a
one-off ``dxplan run``, a served run and a worker's run all send them.

A notice that cannot be delivered is logged and never fails the run.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

from dxplan.errors import UsageError
from dxplan.i18n import t

ENV = "DXPLAN_NOTIFY_URL"
log = logging.getLogger(__name__)


def urls(value: str | None = None) -> list[str]:
    value = os.environ.get(ENV, "") if value is None else value
    return [u for u in re.split(r"[\s,]+", value.strip()) if u]


def check_urls(value: str | None = None) -> None:
    """Raise UsageError for a URL Apprise does not understand (before a run starts)."""
    found = urls(value)
    if not found:
        return
    import apprise

    for url in found:
        if not apprise.Apprise().add(url):
            raise UsageError(t("error.bad_env", name=ENV, value=url,
                               reason="not an Apprise URL (e.g. json://host:port/path, "
                                      "mailto://user:pass@host)"))


def send(title: str, body: str, value: str | None = None) -> bool:
    """Send one notice to every configured URL; ``True`` when all were delivered."""
    found = urls(value)
    if not found:
        return False
    try:
        import apprise

        sender = apprise.Apprise()
        for url in found:
            sender.add(url)
        ok = bool(sender.notify(title=title, body=body))
    except Exception as exc:  # noqa: BLE001 - a notice never fails the run
        log.warning("could not send the notice %r: %s", title, exc)
        return False
    if not ok:
        log.warning("the notice %r was not delivered to %s", title, ENV)
    return ok


def rejected_files(files: Iterable, warehouse: str) -> bool:
    """Notice for the rejected files of a run (``FileResult``-like objects)."""
    rejected = [f for f in files if f.status == "rejected"]
    if not rejected or not urls():
        return False
    body = "\n".join(f"{f.source_path}: {f.message}" for f in rejected)
    return send(t("notify.rejected.title", n=len(rejected)), f"{body}\n\nwarehouse: {warehouse}")


def failed_targets(targets: Iterable[dict], warehouse: str) -> bool:
    """Notice for publish targets (PostgreSQL) that failed after the DuckDB publish."""
    failed = [x for x in targets if x.get("status") != "published"]
    if not failed or not urls():
        return False
    body = "\n".join(f"{x.get('target')}: {x.get('message')}" for x in failed)
    return send(t("notify.target_failed.title", n=len(failed)),
                f"{body}\n\nwarehouse (published): {warehouse}")


def flow_failed(flow, flow_run, state) -> None:
    """Prefect ``on_failure`` / ``on_crashed`` hook of the pipeline flow."""
    if not urls():
        return
    params = getattr(flow_run, "parameters", None) or {}
    where = ", ".join(f"{k}={v}" for k, v in params.items() if v) or "defaults"
    send(t("notify.failed.title"),
         f"flow run {getattr(flow_run, 'name', '?')} ({where}): "
         f"{getattr(state, 'name', state)}: {getattr(state, 'message', '')}")
