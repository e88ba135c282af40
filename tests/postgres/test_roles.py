"""Who may publish, and the reader's password."""

from __future__ import annotations

from pathlib import Path

import pytest
from dxplan import postgres

from tests.postgres.support import assert_same_marts

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def _ensure_reader(con) -> None:
    if not con.execute("SELECT 1 FROM pg_roles WHERE rolname = 'dxplan_reader'").fetchone():
        # as a DBA would, and as dxplan itself does (tests/postgres/test_publish.py)
        con.execute("CREATE ROLE dxplan_reader LOGIN NOINHERIT")
        con.execute("ALTER ROLE dxplan_reader SET default_transaction_read_only = on")


def test_a_plain_database_owner_can_publish(seed_warehouse, pg_cluster):
    """No superuser, no CREATEROLE: the DBA made dxplan_reader and the database."""
    import psycopg

    with psycopg.connect(pg_cluster.url(), autocommit=True) as su:
        _ensure_reader(su)
        if not su.execute("SELECT 1 FROM pg_roles WHERE rolname = 'dxplan_pub'").fetchone():
            su.execute("CREATE ROLE dxplan_pub LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB")
        su.execute("DROP DATABASE IF EXISTS dxplan_owned")
        su.execute("CREATE DATABASE dxplan_owned OWNER dxplan_pub")
    url = pg_cluster.url(user="dxplan_pub", dbname="dxplan_owned")
    result = postgres.publish_marts(seed_warehouse, url, PROJECT, "owner")
    assert result.status == "published" and result.rows > 0
    with psycopg.connect(pg_cluster.url(user="dxplan_reader", dbname="dxplan_owned"),
                         autocommit=True) as reader:
        assert_same_marts(seed_warehouse, reader)


def test_reader_password_from_the_environment(seed_warehouse, pg_cluster, monkeypatch):
    import psycopg

    with psycopg.connect(pg_cluster.url(), autocommit=True) as su:
        su.execute("DROP DATABASE IF EXISTS dxplan_pw")
        su.execute("CREATE DATABASE dxplan_pw")
        _ensure_reader(su)
        su.execute("ALTER ROLE dxplan_reader PASSWORD NULL")
        monkeypatch.setenv(postgres.ENV_READER_PASSWORD, "reader-pw-1")
        postgres.publish_marts(seed_warehouse, pg_cluster.url(dbname="dxplan_pw"), PROJECT, "pw")
        stored = su.execute("SELECT rolpassword FROM pg_authid "
                            "WHERE rolname = 'dxplan_reader'").fetchone()[0]
        assert stored and stored.startswith("SCRAM-SHA-256$") and "reader-pw-1" not in stored
        su.execute("ALTER ROLE dxplan_reader PASSWORD NULL")


def test_a_refusing_server_leaves_the_live_marts(seed_warehouse, pg_cluster):
    """Authentication refused (a role that does not exist): a one-line TargetError."""
    url = pg_cluster.url(user="nobody_here", dbname="postgres")
    with pytest.raises(postgres.TargetError, match="nobody_here"):
        postgres.publish_marts(seed_warehouse, url, PROJECT, "refused")
