"""The pipeline's load phase (dxplan.load.stage_and_validate) on reports built in code:
one transaction and one GX run for all files, and what happens when one of them fails to
stage, fails validation, or breaks GX itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from dxplan.discover import SourceFile
from dxplan.load import PUBLISHED, REJECTED, FileResult, ReadFile, stage_and_validate

from .builders import make_row, valid_report


def _item(tmp_path, load_id: str, year: int, report=None):
    report = report or valid_report()
    report.report_fiscal_year = year
    src = SourceFile(path=tmp_path / f"{load_id}.txt", size=1, sha256=load_id * 64)
    result = FileResult(source_path=str(src.path), sha256=src.sha256, status=REJECTED,
                        started_at=datetime(2024, 5, 1), load_id=load_id)
    return ReadFile(src, result, report)


class Recording:
    """The real validator, with a record of its calls; ``broken`` ids make GX raise."""

    def __init__(self, real, broken: frozenset[str] = frozenset()) -> None:
        self.real, self.broken, self.calls = real, broken, []

    def validate_loads(self, con, ids):
        self.calls.append(list(ids))
        if self.broken & set(ids):
            raise RuntimeError("GX broke")
        return self.real.validate_loads(con, ids)


def _staged(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT load_id FROM staging.loads ORDER BY 1").fetchall()]


def _results_per_load(con) -> dict[str, int]:
    return dict(con.execute("SELECT load_id, count(*) FROM audit.validation_results "
                            "GROUP BY 1").fetchall())


def test_all_good_files_are_validated_once_together(tmp_path, validator, con):
    items = [_item(tmp_path, "a", 2023), _item(tmp_path, "b", 2024), _item(tmp_path, "c", 2025)]
    spy = Recording(validator)
    results = stage_and_validate(con, items, spy)
    assert [r.status for r in results] == [PUBLISHED] * 3
    assert spy.calls == [["a", "b", "c"]]
    assert _staged(con) == ["a", "b", "c"]
    n = sum(len(s.body["expectations"]) for s in validator.specs)
    assert _results_per_load(con) == {"a": n, "b": n, "c": n}


def test_a_rejected_file_is_rolled_back_and_the_rest_checked_again(tmp_path, validator, con):
    broken = valid_report()
    broken.rows[1] = replace(broken.rows[1], evaluation="よい")
    items = [_item(tmp_path, "a", 2023), _item(tmp_path, "b", 2024, broken),
             _item(tmp_path, "c", 2025)]
    spy = Recording(validator)
    results = stage_and_validate(con, items, spy)
    assert [r.status for r in results] == [PUBLISHED, REJECTED, PUBLISHED]
    assert "row_evaluation_known" in results[1].message
    assert spy.calls == [["a", "b", "c"], ["c"]]
    assert _staged(con) == ["a", "c"]
    n = sum(len(s.body["expectations"]) for s in validator.specs)
    assert _results_per_load(con) == {"a": n, "b": n, "c": n}  # b's results are kept


def test_a_file_that_cannot_be_staged_is_rejected_alone(tmp_path, validator, con):
    broken = valid_report()
    broken.rows.append(make_row(1, 99))  # source row 1 twice: staging's primary key refuses
    items = [_item(tmp_path, "a", 2023), _item(tmp_path, "b", 2024, broken),
             _item(tmp_path, "c", 2025)]
    spy = Recording(validator)
    results = stage_and_validate(con, items, spy)
    assert [r.status for r in results] == [PUBLISHED, REJECTED, PUBLISHED]
    assert results[1].message.startswith("could not stage b.txt: ConstraintException")
    assert spy.calls == [["a", "c"]]
    assert _staged(con) == ["a", "c"]


@pytest.mark.parametrize("broken", ["a", "c"])
def test_when_gx_itself_breaks_files_are_validated_one_by_one(tmp_path, validator, con, broken):
    items = [_item(tmp_path, "a", 2023), _item(tmp_path, "b", 2024), _item(tmp_path, "c", 2025)]
    spy = Recording(validator, frozenset({broken}))
    results = stage_and_validate(con, items, spy)
    statuses = {r.load_id: r.status for r in results}
    assert statuses == {lid: (REJECTED if lid == broken else PUBLISHED) for lid in "abc"}
    rejected = next(r for r in results if r.status == REJECTED)
    assert rejected.message == f"could not validate {broken}.txt: RuntimeError: GX broke"
    assert spy.calls == [["a", "b", "c"], ["a"], ["b"], ["c"]]
    assert _staged(con) == sorted(set("abc") - {broken})
