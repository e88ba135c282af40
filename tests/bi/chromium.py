"""Load a local HTML file in headless Chromium: the DOM after scripts ran, console output, a screenshot."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
_CONSOLE = re.compile(r":CONSOLE[:(\]]")


@dataclass
class PageLoad:
    dom: str
    console: list[str]  # every console message (the dashboard writes none)
    screenshot: Path
    stderr: str

    def body_attr(self, name: str) -> str | None:
        body = re.search(r"<body\b[^>]*>", self.dom)
        if not body:
            return None
        m = re.search(rf'\s{re.escape(name)}="([^"]*)"', body.group(0))
        return m.group(1) if m else None


def load_page(
    chromium: str,
    page: Path,
    screenshot: Path,
    *,
    width: int = 1400,
    height: int = 2400,
    scale: float = 0.5,
    timeout: float = 90,
) -> PageLoad:
    with tempfile.TemporaryDirectory(prefix="bi-chromium-") as profile:
        proc = subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--dump-dom",
                f"--screenshot={screenshot}",
                f"--window-size={width},{height}",
                f"--force-device-scale-factor={scale}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    console = [line for line in proc.stderr.splitlines() if _CONSOLE.search(line)]
    return PageLoad(dom=proc.stdout, console=console, screenshot=screenshot, stderr=proc.stderr)
