"""Facts of the marts built from the hand-made sample history (see conftest.py).

History: report 2023 first issue (KPI 1's FY2025 target 9), its corrected re-issue
(target 10, current), report 2024 (target revised to 12; project 6 and KPI 5 dropped;
project 8 and the FY2026 target of KPI 3 new).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

Query = Callable[..., list[dict]]


def one(warehouse: Query, sql: str, params: list | None = None) -> dict:
    rows = warehouse(sql, params)
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------------ initiatives


def test_relisted_rows_are_bridge_rows_not_initiatives(warehouse: Query) -> None:
    assert one(warehouse, "select count(*) as n from marts.dim_initiative")["n"] == 8
    counts = warehouse(
        "select report_fiscal_year, count(*) as n_rows, count(*) filter (where is_relisted) as n_rel "
        "from marts.bridge_initiative_plan_item group by 1 order by 1"
    )
    assert counts == [
        {"report_fiscal_year": 2023, "n_rows": 9, "n_rel": 2},
        {"report_fiscal_year": 2024, "n_rows": 8, "n_rel": 1},
    ]


def test_relisted_row_without_number_is_resolved_by_name(warehouse: Query) -> None:
    row = one(
        warehouse,
        "select b.project_no, b.project_resolution, p.pillar, p.area_no, p.item_no "
        "from marts.bridge_initiative_plan_item b join marts.dim_plan_item p using (plan_item_key) "
        "where b.report_fiscal_year = 2023 and b.source_row_no = 9",
    )
    assert row == {
        "project_no": 5,
        "project_resolution": "name_match",
        "pillar": "I",
        "area_no": 4,
        "item_no": "5",
    }


def test_dimension_takes_latest_report_and_keeps_dropped_projects(warehouse: Query) -> None:
    rows = {
        r["project_no"]: r
        for r in warehouse(
            "select project_no, project_name, department, division, first_report_fiscal_year, "
            "last_report_fiscal_year, is_in_latest_report from marts.dim_initiative"
        )
    }
    assert rows[3]["project_name"] == "ペーパーレス推進事業"  # 2023 printed ペーパーレス化推進事業
    assert rows[3]["department"] == "総務部|企画調整部"
    assert rows[3]["division"] == "総務課|デジタル変革課"
    assert rows[2]["project_name"] == "BPR推進事業"  # the superseded 2023 issue said (旧)
    assert (rows[6]["last_report_fiscal_year"], rows[6]["is_in_latest_report"]) == (2023, False)
    assert (rows[8]["first_report_fiscal_year"], rows[8]["is_in_latest_report"]) == (2024, True)


def test_organisations_split_into_pairs(warehouse: Query) -> None:
    pairs = warehouse(
        "select project_no, org_ordinal, department, division "
        "from marts.bridge_initiative_organisation "
        "where report_fiscal_year = 2024 and project_no in (3, 5) order by 1, 2"
    )
    assert [(p["project_no"], p["department"], p["division"]) for p in pairs] == [
        (3, "総務部", "総務課"),
        (3, "企画調整部", "デジタル変革課"),
        (5, "企画調整部", "デジタル変革課"),
        (5, "企画調整部", "情報政策課"),
    ]
    n = one(warehouse, "select count(*) as n from marts.dim_organisation")["n"]
    assert n == 6


def test_initiative_status_comes_from_own_row(warehouse: Query) -> None:
    row = one(
        warehouse,
        "select source_row_no, has_own_row, table_row_count, evaluation, evaluation_code "
        "from marts.fct_initiative_status where project_no = 3 and report_fiscal_year = 2023",
    )
    assert row == {
        "source_row_no": 3,
        "has_own_row": True,
        "table_row_count": 2,
        "evaluation": "達成",
        "evaluation_code": "achieved",
    }


# ------------------------------------------------------------------------- KPIs


def test_shared_kpi_is_one_kpi_with_two_projects(warehouse: Query) -> None:
    assert one(warehouse, "select count(*) as n from marts.dim_kpi")["n"] == 5
    links = warehouse(
        "select project_no, is_defining, is_relisted from marts.bridge_initiative_kpi "
        "where kpi_no = 3 and report_fiscal_year = 2023 order by project_no"
    )
    assert links == [
        {"project_no": 4, "is_defining": True, "is_relisted": False},
        {"project_no": 7, "is_defining": False, "is_relisted": True},
    ]


def test_relisted_row_does_not_make_its_project_a_relisted_kpi_owner(warehouse: Query) -> None:
    # project 3's 再掲 row shows KPI 2 as 再掲, but project 3 defines KPI 2
    row = one(
        warehouse,
        "select is_defining, is_relisted from marts.bridge_initiative_kpi "
        "where kpi_no = 2 and project_no = 3 and report_fiscal_year = 2023",
    )
    assert row == {"is_defining": True, "is_relisted": False}


@pytest.mark.parametrize(
    ("kpi_no", "report", "rate"),
    [
        (1, 2023, 10 / 8),  # increase
        (2, 2023, 45 / 36),  # decrease: target / actual
        (3, 2023, 48 / 50),  # 以上 target, ほぼ actual: numbers as printed
        (4, 2023, None),  # missing actual
        (5, 2023, None),  # zero target
        (1, 2024, 9 / 8),
        (2, 2024, 40 / 41),
    ],
)
def test_achievement_rate(warehouse: Query, kpi_no: int, report: int, rate: float | None) -> None:
    row = one(
        warehouse,
        "select achievement_rate from marts.fct_kpi_yearly "
        "where kpi_no = ? and report_fiscal_year = ? and fiscal_year = report_fiscal_year",
        [kpi_no, report],
    )
    if rate is None:
        assert row["achievement_rate"] is None
    else:
        assert row["achievement_rate"] == pytest.approx(rate)


def test_comparators_stay_out_of_numbers(warehouse: Query) -> None:
    row = one(
        warehouse,
        "select target_value, target_text, target_comparator, actual_value, actual_text, "
        "actual_comparator, actual_as_of from marts.fct_kpi_yearly "
        "where kpi_no = 3 and report_fiscal_year = 2023 and fiscal_year = 2023",
    )
    assert row["target_value"] == 50.0 and row["target_comparator"] == "at_least"
    assert row["target_text"] == "50%以上"
    assert row["actual_value"] == 48.0 and row["actual_comparator"] == "approximately"
    assert str(row["actual_as_of"]) == "2024-03-31"


def test_kpi_yearly_grain(warehouse: Query) -> None:
    # KPI 4 in report 2023: targets 2023 and 2025, no actual -> two rows, no actual_as_of
    rows = warehouse(
        "select fiscal_year, target_value, actual_value, actual_as_of from marts.fct_kpi_yearly "
        "where kpi_no = 4 and report_fiscal_year = 2023 order by fiscal_year"
    )
    assert rows == [
        {"fiscal_year": 2023, "target_value": 15.0, "actual_value": None, "actual_as_of": None},
        {"fiscal_year": 2025, "target_value": 20.0, "actual_value": None, "actual_as_of": None},
    ]
    # the actual as of the report date when the KPI prints none of its own
    row = one(
        warehouse,
        "select actual_as_of from marts.fct_kpi_yearly "
        "where kpi_no = 1 and report_fiscal_year = 2024 and fiscal_year = 2024",
    )
    assert str(row["actual_as_of"]) == "2025-03-31"


def test_kpi_progress(warehouse: Query) -> None:
    rows = {
        (r["kpi_no"], r["report_fiscal_year"]): r
        for r in warehouse(
            "select kpi_no, report_fiscal_year, target_value, actual_value, final_fiscal_year, "
            "final_target_value, progress_to_final, achievement_rate from marts.mart_kpi_progress"
        )
    }
    assert len(rows) == 9  # 5 KPIs in 2023, 4 in 2024
    assert rows[(2, 2023)]["progress_to_final"] == pytest.approx((36 - 50) / (30 - 50))
    assert rows[(3, 2024)]["final_fiscal_year"] == 2026
    assert rows[(3, 2024)]["final_target_value"] == 70.0
    assert rows[(1, 2024)]["final_target_value"] == 12.0
    assert rows[(4, 2023)]["progress_to_final"] is None  # no actual
    assert rows[(5, 2023)]["achievement_rate"] is None  # zero target
    assert rows[(5, 2023)]["progress_to_final"] == pytest.approx((1 - 3) / (0 - 3))


# ------------------------------------------------------------------ history


def test_target_history_answers_published_then_and_now(warehouse: Query) -> None:
    row = one(
        warehouse,
        """
        select
            max(target_value) filter (where valid_from_report <= 2023
                and (valid_to_report is null or valid_to_report > 2023)) as published_2023,
            max(target_value) filter (where is_current) as now
        from marts.kpi_target_history where kpi_no = 1 and fiscal_year = 2025
        """,
    )
    assert row == {"published_2023": 10.0, "now": 12.0}


def test_target_history_keeps_the_superseded_issue(warehouse: Query) -> None:
    versions = warehouse(
        "select version_no, target_value, valid_from_report, valid_to_report, is_current, "
        "is_replaced_by_reissue from marts.kpi_target_history "
        "where kpi_no = 1 and fiscal_year = 2025 order by version_no"
    )
    assert [
        (
            v["target_value"],
            v["valid_from_report"],
            v["valid_to_report"],
            v["is_current"],
            v["is_replaced_by_reissue"],
        )
        for v in versions
    ] == [
        (9.0, 2023, 2023, False, True),  # first issue of 2023, corrected by its re-issue
        (10.0, 2023, 2024, False, False),
        (12.0, 2024, None, True, False),
    ]


def test_unrevised_target_is_one_version(warehouse: Query) -> None:
    row = one(
        warehouse,
        "select count(*) as n, min(published_report_count) as reports, "
        "bool_and(is_in_latest_report) as latest "
        "from marts.kpi_target_history where kpi_no = 2 and fiscal_year = 2025",
    )
    assert row == {"n": 1, "reports": 2, "latest": True}


def test_superseded_load_does_not_reach_facts(warehouse: Query) -> None:
    row = one(
        warehouse,
        "select target_value from marts.fct_kpi_yearly "
        "where kpi_no = 1 and fiscal_year = 2025 and report_fiscal_year = 2023",
    )
    assert row["target_value"] == 10.0
    report = one(
        warehouse,
        "select load_id, superseded_load_count from marts.dim_report where report_fiscal_year = 2023",
    )
    assert report["superseded_load_count"] == 1


# ------------------------------------------------------------------- others


def test_fiscal_years_cover_every_referenced_year(warehouse: Query) -> None:
    rows = warehouse(
        "select fiscal_year, wareki_label, wareki_short_label, start_date, end_date "
        "from marts.dim_fiscal_year order by 1"
    )
    assert [r["fiscal_year"] for r in rows] == [2022, 2023, 2024, 2025, 2026]
    first = rows[0]
    assert first["wareki_label"] == "令和4年度" and first["wareki_short_label"] == "R4"
    assert (str(first["start_date"]), str(first["end_date"])) == ("2022-04-01", "2023-03-31")


def test_repairs_are_exposed_for_current_loads(warehouse: Query) -> None:
    rows = warehouse(
        "select report_fiscal_year, project_no, kpi_no, field_name, raw_text, repaired_value, "
        "rule_name from marts.fct_repairs order by field_name"
    )
    # the superseded 2023 issue carries the same repairs; only the current load's count
    assert [(r["field_name"], r["kpi_no"], r["repaired_value"]) for r in rows] == [
        ("kpi.target_2025", 1, "10"),
        ("project_name", None, "BPR推進事業"),
    ]
    assert {r["project_no"] for r in rows} == {2}


def test_keys_are_md5_of_natural_keys(warehouse: Query) -> None:
    row = one(
        warehouse,
        "select initiative_key = md5('2') as ini, "
        "(select kpi_key = md5('3') from marts.dim_kpi where kpi_no = 3) as kpi "
        "from marts.dim_initiative where project_no = 2",
    )
    assert row == {"ini": True, "kpi": True}
    # a NULL item_no hashes with a placeholder, not to NULL
    row = one(
        warehouse,
        "select plan_item_key from marts.dim_plan_item where pillar = 'II' and area_no = 2 "
        "and item_no is null",
    )
    assert row["plan_item_key"] is not None and len(row["plan_item_key"]) == 32
