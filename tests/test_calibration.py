import numpy as np

from stance.calibration import (
    apply_temperature,
    cross_fitted,
    expected_calibration_error,
    fit_temperature,
    nll,
)


def _overconfident(n=2000, seed=0):
    """Labels drawn from softened probabilities, reported as sharpened ones (T_true = 3)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, 4)) * 2
    true_p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(4, p=p) for p in true_p])
    sharp = np.exp(logits * 3) / np.exp(logits * 3).sum(1, keepdims=True)
    return sharp, y


def test_temperature_keeps_argmax_and_sums_to_one():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype=np.float32)
    for t in (0.5, 1.0, 2.5):
        q = apply_temperature(p, t)
        assert np.allclose(q.sum(1), 1.0, atol=1e-6)
        assert (q.argmax(1) == p.argmax(1)).all()
    assert apply_temperature(p, 2.0)[0, 0] < 0.7 < apply_temperature(p, 0.5)[0, 0]


def test_fitted_temperature_recovers_overconfidence_and_lowers_nll_and_ece():
    proba, y = _overconfident()
    t = fit_temperature(proba, y)
    assert 2.4 < t < 3.6
    fixed = apply_temperature(proba, t)
    assert nll(fixed, y) < nll(proba, y)
    assert expected_calibration_error(fixed, y) < expected_calibration_error(proba, y) / 2


def test_cross_fitted_scaling_is_calibrated_without_seeing_its_own_rows():
    proba, y = _overconfident(seed=1)
    out = cross_fitted(proba, y)
    assert (out.argmax(1) == proba.argmax(1)).all()
    assert expected_calibration_error(out, y) < expected_calibration_error(proba, y) / 2


def test_ece_of_perfectly_calibrated_bins_is_zero():
    proba = np.array([[1.0, 0.0]] * 4 + [[0.5, 0.5]] * 4)
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1])  # the 0.5 bin is right half the time
    assert expected_calibration_error(proba, y) < 1e-9
