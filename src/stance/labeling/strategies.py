"""Which sentences to label next (pure functions over probabilities and embeddings).

- uncertainty: the sentences whose calibrated probabilities are least decided (margin
  between the top two labels, or entropy);
- diverse: the most uncertain `candidates x n`, clustered into n groups by sentence
  embedding (k-means weighted by uncertainty), the most uncertain of each group: uncertain
  sentences that are not variants of one another;
- stratified: the same number per predicted label, at random within a label;
- random: the baseline.

`priority` gives an order (best first) for every strategy but diverse; the caller walks it
and drops near-duplicates (`dedup.take_distinct`). Diverse works on the distinct candidates.
"""

from __future__ import annotations

import numpy as np

from stance.errors import StanceError

STRATEGIES = ("uncertainty", "diverse", "stratified", "random")
MEASURES = ("margin", "entropy")


def uncertainty(proba: np.ndarray, measure: str = "margin") -> np.ndarray:
    """Per row, in [0, 1], higher = less sure: 1 - (p1 - p2), or entropy / log(labels)."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise StanceError(f"expected an (n, labels) probability array, got shape {proba.shape}")
    if measure == "margin":
        top2 = np.sort(proba, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    if measure == "entropy":
        p = np.clip(proba, 1e-12, 1.0)
        return -(p * np.log(p)).sum(axis=1) / np.log(proba.shape[1])
    raise StanceError(f"uncertainty measure {measure!r} is not one of {', '.join(MEASURES)}")


def priority(strategy: str, proba: np.ndarray, rng: np.random.Generator,
             measure: str = "margin") -> np.ndarray:
    """Row indices in the order a strategy wants them labelled (diverse: its candidate order)."""
    n = len(proba)
    if strategy in ("uncertainty", "diverse"):
        u = uncertainty(proba, measure)
        return np.lexsort((np.arange(n), -u))  # most uncertain first, ties by position
    if strategy == "random":
        return rng.permutation(n)
    if strategy == "stratified":
        predicted = np.asarray(proba).argmax(axis=1)
        queues = [list(rng.permutation(np.flatnonzero(predicted == k))) for k in np.unique(predicted)]
        order: list[int] = []
        while any(queues):  # one per predicted label in turn: equal shares while they last
            for q in queues:
                if q:
                    order.append(int(q.pop(0)))
        return np.asarray(order, dtype=np.int64)
    raise StanceError(f"strategy={strategy!r} is not one of {', '.join(STRATEGIES)}")


def diverse_pick(embeddings: np.ndarray, weights: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n rows covering the candidates: k-means (k = n, weighted by `weights`, the uncertainty)
    over the embeddings, then the highest-weight row of each cluster. Positions into the
    candidate arrays, highest weight first."""
    m = len(embeddings)
    if m <= n:
        return np.argsort(-np.asarray(weights), kind="stable")
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    km = KMeans(n_clusters=n, n_init=1, random_state=seed)
    with warnings.catch_warnings():  # fewer distinct points than n: the empty clusters are filled below
        warnings.simplefilter("ignore", ConvergenceWarning)
        clusters = km.fit_predict(embeddings, sample_weight=np.maximum(weights, 1e-6))
    picks = []
    for c in range(n):
        members = np.flatnonzero(clusters == c)
        if len(members):
            picks.append(members[np.argmax(weights[members])])
    if len(picks) < n:  # k-means left a cluster empty: fill with the next most uncertain
        chosen = set(picks)
        rest = [i for i in np.argsort(-weights, kind="stable") if i not in chosen]
        picks += rest[:n - len(picks)]
    chosen_idx = np.asarray(picks, dtype=np.int64)
    return chosen_idx[np.argsort(-weights[chosen_idx], kind="stable")]
