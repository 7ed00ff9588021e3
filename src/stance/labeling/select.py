"""One batch to label: a strategy's order, near-duplicates dropped, diverse coverage."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from stance.labeling.dedup import ShingleIndex, take_distinct
from stance.labeling.strategies import diverse_pick, priority, uncertainty

EmbedFn = Callable[[Sequence[str]], np.ndarray]


def choose(texts: Sequence[str], proba: np.ndarray, strategy: str, n: int, *, seed: int = 0,
           measure: str = "margin", labelled: ShingleIndex | None = None, near_dup: float = 0.5,
           embed: EmbedFn | None = None, candidates: int = 10) -> list[int]:
    """Indices of up to `n` rows to label, in the order to show them.

    No two picks, and no pick and a text in `labelled`, have a word 3-gram Jaccard above
    `near_dup`; the picks are added to `labelled`. `diverse` needs `embed` (texts -> unit
    vectors) and clusters the `candidates x n` most uncertain distinct rows."""
    labelled = labelled if labelled is not None else ShingleIndex()
    texts = list(texts)
    rng = np.random.default_rng(seed)
    order = priority(strategy, proba, rng, measure)
    if strategy != "diverse":
        return take_distinct(order, texts, n, labelled, near_dup)
    if embed is None:
        raise ValueError("strategy diverse needs an embed function")
    cand = np.asarray(take_distinct(order, texts, n * max(candidates, 1), ShingleIndex(), near_dup,
                                    frozen=labelled), dtype=np.int64)
    if len(cand) == 0:
        return []
    weights = uncertainty(np.asarray(proba)[cand], measure)
    picks = [int(cand[j]) for j in diverse_pick(embed([texts[i] for i in cand]), weights, n, seed)]
    for i in picks:
        labelled.add(texts[i])
    return picks
