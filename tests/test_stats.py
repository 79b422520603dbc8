"""Agreement statistics (consult_audio.stats), the one definition used everywhere."""

from __future__ import annotations

import pytest

from consult_audio.stats import cohen_kappa, prf


def test_kappa_hand_computed_and_undefined_cases() -> None:
    # yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o 0.7, p_e 0.5, kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x"] * 3, ["x"] * 3) is None  # chance agreement 1
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def test_prf() -> None:
    assert prf(3, 1, 2) == pytest.approx((0.75, 0.6, 6 / 9))
    assert prf(0, 0, 0) == (None, None, None)
    assert prf(0, 0, 4) == (None, 0.0, 0.0)
