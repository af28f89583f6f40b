"""Source claims, study-agnostic: statuses, the claimed value in words, claims.yaml's checks.

The checks themselves belong to the studies (tests/studies); here they are stand-ins.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optstudy.core.claims import (
    ILLUSTRATION,
    NOT_COMPARABLE,
    NOT_MEASURED,
    NOT_SETTLED,
    REFUTED,
    REPRODUCED,
    STATUSES,
    Check,
    Checked,
    Estimate,
    check_claims,
    claimed_value,
    count_statuses,
    epoch_text,
    in_range,
    load_claims,
    not_measured,
    status,
)
from optstudy.core.stats import paired_difference
from optstudy.core.tables import verdicts

HELD, FAILED = Check("measured well", True), Check("measured badly", False)
OPEN = Check("interval across zero", None)
MISSING = not_measured("lr 0.5 is not in the sweep")
ASSUMED = {"illustration": True}


@pytest.mark.parametrize(
    ("check", "claim", "subset", "expected"),
    [
        (HELD, {}, False, REPRODUCED),
        (FAILED, {}, False, REFUTED),
        (OPEN, {}, False, NOT_SETTLED),
        (HELD, {"needs_full_data": True}, False, REPRODUCED),  # full data: judged as usual
        (HELD, {"needs_full_data": True}, True, NOT_COMPARABLE),
        (FAILED, {"needs_full_data": True}, True, NOT_COMPARABLE),
        (FAILED, {"needs_full_data": False}, True, REFUTED),  # a subset is enough
        (HELD, {}, True, REPRODUCED),
        (MISSING, {}, False, NOT_MEASURED),
        (MISSING, {"needs_full_data": True}, True, NOT_MEASURED),
        # the source's own assumed numbers: compared, never a measurement, either way
        (HELD, ASSUMED, False, ILLUSTRATION),
        (FAILED, ASSUMED, False, ILLUSTRATION),
        (OPEN, ASSUMED, False, ILLUSTRATION),
        (FAILED, {**ASSUMED, "needs_full_data": True}, True, NOT_COMPARABLE),
    ],
)
def test_status(check: Check, claim: dict, subset: bool, expected: str) -> None:
    assert status(check, claim, subset) == expected


def test_claimed_value_uses_the_sources_numbers_or_words() -> None:
    assert claimed_value({"acc": 0.9857, "claimed": "ignored"}) == "98.57 %"
    assert claimed_value({"train_acc": [0.98, 0.99], "val_acc": [0.92, 0.94]}) == (
        "train 98–99 %, val 92–94 %"
    )
    assert claimed_value({"train_acc": [0.87, 0.88]}) == "train 87–88 %"
    assert claimed_value({"train_acc": 0.88, "val_acc": 0.87}) == "train ~88 %, val ~87 %"
    assert claimed_value({"claimed": "Adam > SGD"}) == "Adam > SGD"


def test_epoch_text_and_in_range() -> None:
    assert epoch_text(3) == "3" and epoch_text(12.0) == "12"
    assert epoch_text(None) == epoch_text(math.inf) == "never"
    assert in_range(0.875, [0.87, 0.88]) and not in_range(0.8849, [0.87, 0.88])
    assert in_range(0.8849, [0.87, 0.88], tol=0.005)
    assert in_range(0.865, [0.87, 0.88], tol=0.005) and not in_range(0.8649, [0.87, 0.88], 0.005)


def test_check_claims_runs_each_claims_own_check() -> None:
    seen = []

    def above(results, params, claim) -> Check:
        seen.append((results, params, claim["id"]))
        return Check(f"{results['value']} vs {claim['min']}", results["value"] > claim["min"])

    claims = [
        {"id": "low", "claim": "value above 1", "min": 1, "claimed": "above 1"},
        {"id": "high", "claim": "value above 9", "min": 9, "acc": 0.95, "needs_full_data": True},
        {"id": "gone", "claim": "something not measured", "claimed": "x"},
    ]
    checks = {"low": above, "high": above, "gone": lambda *_: MISSING}
    checked = check_claims(claims, checks, {"value": 5}, "PARAMS", subset=False)
    assert seen == [({"value": 5}, "PARAMS", "low"), ({"value": 5}, "PARAMS", "high")]
    assert [c.claim for c in checked] == [c["claim"] for c in claims]  # claims.yaml order
    assert all(isinstance(c, Checked) for c in checked)
    low, high, gone = (c.check for c in checked)
    assert (low.measured, low.status, low.claimed) == ("5 vs 1", REPRODUCED, "above 1")
    assert (high.status, high.claimed) == (REFUTED, "95.00 %")
    assert gone.status == NOT_MEASURED
    on_subset = check_claims(claims, checks, {"value": 5}, "PARAMS", subset=True)
    assert [c.check.status for c in on_subset] == [REPRODUCED, NOT_COMPARABLE, NOT_MEASURED]
    assert count_statuses(on_subset) == {
        REPRODUCED: 1,
        REFUTED: 0,
        NOT_SETTLED: 0,
        ILLUSTRATION: 0,
        NOT_MEASURED: 1,
        NOT_COMPARABLE: 1,
    }
    assert list(count_statuses([])) == list(STATUSES)


def test_an_illustration_says_whether_ours_agrees() -> None:
    claims = [{"id": "a", "claim": "assumed table", "claimed": "~88 %", "illustration": True}]
    for check, words in ((HELD, "ours agrees"), (FAILED, "ours differs"), (OPEN, "cannot tell")):
        (checked,) = check_claims(claims, {"a": lambda *_, c=check: c}, {}, "P", subset=False)
        assert checked.check.status == ILLUSTRATION
        assert checked.check.measured.endswith(f"({words})")


def test_each_claim_prints_the_rule_its_check_carries() -> None:
    """The rule beside a claim in the report is its check's docstring, first paragraph."""

    def within(results, params, claim) -> Check:
        """Held when the value is within
        one of the claimed.

        (Details the report does not print.)"""
        return Check("x", abs(results["value"] - claim["min"]) <= 1)

    claims = [
        {"id": "a", "claim": "near 5", "min": 5, "claimed": "5"},
        {"id": "b", "claim": "near 6", "min": 6, "claimed": "6"},
        {"id": "c", "claim": "undocumented", "claimed": "?"},
    ]
    checks = {"a": within, "b": within, "c": lambda *_: HELD}
    checked = check_claims(claims, checks, {"value": 5}, "P", subset=False)
    assert checked[0].rule == "Held when the value is within one of the claimed."
    assert checked[2].rule == ""
    printed = verdicts(checked)
    assert "- `a`, `b`: Held when the value is within one of the claimed." in printed
    assert "`c`:" not in printed and "Details" not in printed


def test_load_claims_refuses_claims_no_study_checks(tmp_path: Path) -> None:
    path = tmp_path / "claims.yaml"
    checks = {"alpha": {"a1": lambda *_: HELD}, "beta": {}}
    cite = "    source: '000'\n    section: S\n"
    path.write_text("alpha:\n  - id: a1\n    claim: one\n" + cite)
    assert load_claims(checks, path) == {
        "alpha": [{"id": "a1", "claim": "one", "source": "000", "section": "S"}]
    }
    path.write_text("")
    assert load_claims(checks, path) == {}
    path.write_text("alpha:\n  - id: a1\n    claim: one\n")  # no source named
    with pytest.raises(ValueError, match=r"claims without `source` \(file\) and `section`"):
        load_claims(checks, path)
    path.write_text("alpha:\n  - id: a1\n    claim: one\n  - id: a2\n    claim: two\n")
    with pytest.raises(ValueError, match=r"claims without a check in their study: \['a2'\]"):
        load_claims(checks, path)
    path.write_text("beta:\n  - id: a1\n    claim: one\n")  # a1 is alpha's, not beta's
    with pytest.raises(ValueError, match=r"claims without a check in their study: \['a1'\]"):
        load_claims(checks, path)
    path.write_text("gamma:\n  - id: a1\n    claim: one\n")
    with pytest.raises(ValueError, match=r"no study named \['gamma'\]"):
        load_claims(checks, path)


def test_estimate_prints_the_number_and_interval_the_verdict_reads() -> None:
    """One number per claim: as the claims table prints it and as metrics.json stores it."""
    diff = paired_difference({0: 0.990, 1: 0.980, 2: 0.985}, {0: 0.980, 1: 0.975, 2: 0.978})
    ours = Estimate.of_difference(diff)
    assert ours.text() == f"+0.73 pp [{100 * diff.low:+.2f}, {100 * diff.high:+.2f}]"
    assert ours.numbers() == {
        "value": 100 * diff.estimate,
        "low": 100 * diff.low,
        "high": 100 * diff.high,
    }
    assert Estimate.of_mean([0.99]).text() == "99.00 %"  # one seed: no interval
    assert Estimate.of_share(3, 30).text() == "10 % [2, 27]"
    assert Estimate.count(5, " cells", of=6).text() == "5 of 6 cells"
    assert Estimate.count(5, " cells", of=6).numbers() == {"value": 5, "of": 6}
    assert Estimate.of_mean([]).text() == "n/a"
