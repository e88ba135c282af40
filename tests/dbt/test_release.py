"""After an in-process dbt build the warehouse file is free again.

dbt-duckdb keeps its database open after ``dbtRunner().invoke`` returns;
``dxplan.transform.release_duckdb`` lets go of it through public API only. Without it,
another process could not write the file and this process could not reopen it with
another configuration (``read_only``), and ``dxplan serve`` would keep a renamed file open.
"""

from __future__ import annotations

import subprocess
import sys

import duckdb

from tests.dbt.support import DbtRun


def test_another_process_can_write_the_built_file(sample_build: DbtRun) -> None:
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute('create or replace table main.release_probe as select 1 as x'); "
        "con.execute('drop table main.release_probe'); con.close()"
    )
    done = subprocess.run([sys.executable, "-c", code, str(sample_build.db_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]


def test_this_process_can_reopen_the_built_file_read_only(sample_build: DbtRun) -> None:
    con = duckdb.connect(str(sample_build.db_path), read_only=True)
    try:
        assert con.execute("select count(*) from marts.dim_kpi").fetchone()[0] > 0
    finally:
        con.close()
