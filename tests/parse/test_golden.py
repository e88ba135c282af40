"""Score the parser field by field against the hand-verified golden readings.

Every field of the golden counts (also those it marks ``uncertain``); text is compared after
NFKC with whitespace removed. The accuracy and the list of mismatches are printed
(``pytest -s tests/parse/test_golden.py``).
"""

from __future__ import annotations

import pytest
from conftest import GOLDEN, SYNTHETIC
from golden_score import score

CASES = [
    ("seed", "seed_fy2023.json", 0.97),
    ("synthetic", "synthetic_fy2024.json", 0.95),
]


@pytest.mark.parametrize(("which", "golden", "threshold"), CASES)
def test_golden_accuracy(request, which, golden, threshold):
    path = GOLDEN / golden
    if not path.exists() or (which == "synthetic" and not SYNTHETIC.exists()):
        pytest.skip(f"{golden} not available")
    report = request.getfixturevalue(f"{which}_report")
    s = score(report, path)
    print(f"\n{which}: {s.report()}")
    for m in s.mismatches:
        print("  mismatch:", m)
    assert s.total > 1000, "the golden reading looks incomplete"
    assert s.accuracy >= threshold, "\n".join(s.mismatches)


def test_scorer_counts_a_wrong_field(seed_report):
    """The scorer is not a rubber stamp: one changed field costs exactly one point."""
    import copy

    path = GOLDEN / "seed_fy2023.json"
    if not path.exists():
        pytest.skip("seed golden not available")
    base = score(seed_report, path)
    broken = copy.deepcopy(seed_report)
    broken.rows[0].project_no = 999
    broken.kpis[0].targets[0].value = -1.0
    s = score(broken, path)
    assert s.ok == base.ok - 2
