"""Discover: find the yearly files in the raw directory and fingerprint them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dxplan.settings import IGNORED_NAMES


@dataclass(frozen=True)
class SourceFile:
    path: Path
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def source_file(path: Path) -> SourceFile:
    """Fingerprint one file."""
    return SourceFile(path=path.resolve(), size=path.stat().st_size, sha256=sha256_of(path))


def discover(raw_dir: Path) -> list[SourceFile]:
    """Every regular, non-hidden file directly in ``raw_dir``, in name order."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw directory not found: {raw_dir}")
    files = []
    for path in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.name in IGNORED_NAMES or not path.is_file():
            continue
        files.append(source_file(path))
    return files
