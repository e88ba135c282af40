"""A private PostgreSQL 15 cluster for the session (tests/postgres/cluster.py).

Missing PostgreSQL binaries skip these tests with the reason, unless
DXPLAN_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.postgres.cluster import Cluster, find_bin_dir, private_cluster


def _unavailable(reason: str):
    if os.environ.get("DXPLAN_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"DXPLAN_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL 15 server binaries not found (apt-get install postgresql)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser: cannot start PostgreSQL as postgres")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed")
    with private_cluster(bin_dir) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_url(pg_cluster: Cluster) -> str:
    return pg_cluster.url()
