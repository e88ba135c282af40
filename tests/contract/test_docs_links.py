"""Every relative link in the repo's markdown resolves inside the repo."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import REPO

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _markdown_files() -> list:
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.md"],
                                cwd=REPO, capture_output=True, text=True, check=True).stdout
        files = [REPO / line for line in listed.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [p for p in REPO.rglob("*.md") if ".venv" not in p.parts]
    return [p for p in files if p.is_file()]


def _links(path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [m.group(1) for m in LINK.finditer(text)]


def test_there_is_markdown_to_check():
    assert len(_markdown_files()) >= 10


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve_inside_the_repo(path):
    broken = []
    for target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor in the same page
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        if REPO.resolve() not in resolved.parents and resolved != REPO.resolve():
            broken.append(f"{target} (points outside the repo)")
        elif not resolved.exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(REPO)}: broken links {broken}"
