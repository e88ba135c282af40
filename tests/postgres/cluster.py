"""A private PostgreSQL 15 cluster on a free loopback port, for the tests.

The server refuses to run as root, so initdb and pg_ctl run as the ``postgres`` OS user
(``runuser``) in a temporary directory owned by it. Local connections are trusted (only
loopback and a private socket directory); the cluster is stopped and removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Debian's layout; 15 is bookworm's version, a newer one is taken when that is what is there
PG_LIB = Path("/usr/lib/postgresql")
#: the cluster's data directory and private socket directory, under its root
DATA_DIR, SOCKET_DIR = "data", "sock"


@dataclass(frozen=True)
class Cluster:
    root: Path
    port: int
    bin_dir: Path

    @property
    def data_dir(self) -> Path:
        return self.root / DATA_DIR

    def url(self, user: str = "postgres", dbname: str = "postgres", password: str = "") -> str:
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{dbname}"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [*_runuser(), *args] if os.geteuid() == 0 else list(args)
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        pg_ctl = str(self.bin_dir / "pg_ctl")
        return self._as_postgres(pg_ctl, "-D", str(self.data_dir), "-w", *args, check=check)

    def start(self) -> None:
        self._pg_ctl(
            "-t", "60", "-l", str(self.root / "server.log"),
            "-o", f"-p {self.port} -k {self.root / SOCKET_DIR} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c full_page_writes=off -c synchronous_commit=off",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop", check=False)


def find_bin_dir() -> Path | None:
    found = [d / "bin" for d in PG_LIB.glob("*") if d.name.isdigit()
             and (d / "bin" / "initdb").exists() and (d / "bin" / "pg_ctl").exists()]
    return max(found, key=lambda b: int(b.parent.name), default=None)


def _runuser() -> list[str]:
    return ["runuser", "-u", "postgres", "--"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def private_cluster(bin_dir: Path) -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="dxplan-pg-"))
    try:
        (root / SOCKET_DIR).mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
            shutil.chown(root / SOCKET_DIR, "postgres", "postgres")
        cluster = Cluster(root=root, port=free_port(), bin_dir=bin_dir)
        cluster._as_postgres(str(bin_dir / "initdb"), "-D", str(cluster.data_dir), "-U",
                             "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)
