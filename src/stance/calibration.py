"""Temperature scaling: one number that makes probabilities mean what they say.

Pure functions on probability arrays, so they apply to any model family: the
classifier's softmax(logits) becomes softmax(logits / T), which equals
softmax(log(p) / T). Argmax labels never change; only confidence does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EPS = 1e-12


def apply_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities rescaled as softmax(log(p) / T)."""
    if temperature == 1.0 or len(proba) == 0:
        return proba
    logp = np.log(np.clip(proba, EPS, 1.0)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    e = np.exp(logp)
    scaled: np.ndarray = (e / e.sum(axis=1, keepdims=True)).astype(proba.dtype, copy=False)
    return scaled


def expected_calibration_error(proba: ArrayLike, y_true: ArrayLike, bins: int = 15) -> float:
    """Top-label ECE: |accuracy - confidence| averaged over equal-width confidence bins."""
    proba, y_true = np.asarray(proba), np.asarray(y_true)
    if len(y_true) == 0:
        return 0.0
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_true
    which = np.clip(np.digitize(conf, np.linspace(0.0, 1.0, bins + 1)[1:-1], right=True), 0, bins - 1)
    return float(sum((which == b).mean() * abs(correct[which == b].mean() - conf[which == b].mean())
                     for b in range(bins) if (which == b).any()))


def nll(proba: np.ndarray, y_true: ArrayLike) -> float:
    """Mean negative log-likelihood of the true labels."""
    y_true = np.asarray(y_true)
    return float(-np.log(np.clip(proba[np.arange(len(y_true)), y_true], EPS, 1.0)).mean())


def fit_temperature(proba: np.ndarray, y_true: ArrayLike, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The T that minimises the NLL of `y_true` under softmax(log(p) / T)."""
    from scipy.optimize import minimize_scalar

    if len(proba) == 0:
        return 1.0
    res = minimize_scalar(lambda log_t: nll(apply_temperature(proba, float(np.exp(log_t))), y_true),
                          bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded")
    return float(np.exp(res.x))


def cross_fitted(proba: np.ndarray, y_true: ArrayLike, folds: int = 2, seed: int = 0) -> np.ndarray:
    """Probabilities where each row is scaled by a T fitted on the other folds: an honest
    view of calibration on the same set the temperature is fitted on."""
    y_true = np.asarray(y_true)
    order = np.random.default_rng(seed).permutation(len(y_true))
    out = np.array(proba, copy=True)
    for k in range(folds):
        held = order[k::folds]
        rest = np.setdiff1d(order, held)
        out[held] = apply_temperature(proba[held], fit_temperature(proba[rest], y_true[rest]))
    return out
