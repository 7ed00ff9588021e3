"""Sampling strategies and the batch they choose (pure functions, no model)."""

import numpy as np
import pytest

from stance.errors import StanceError
from stance.labeling.dedup import ShingleIndex
from stance.labeling.select import choose
from stance.labeling.strategies import diverse_pick, priority, uncertainty

SURE, UNSURE, TORN = [0.96, 0.01, 0.01, 0.01, 0.01], [0.5, 0.3, 0.1, 0.05, 0.05], [0.4, 0.39, 0.1, 0.06, 0.05]


def texts(n):
    # distinct sentences: no two share a word 3-gram
    return [f"Official {i} of ministry {i * 7} said {i * 13} talks {i * 17} would go on." for i in range(n)]


def test_margin_and_entropy_rank_torn_above_unsure_above_sure():
    proba = np.array([SURE, UNSURE, TORN])
    for measure in ("margin", "entropy"):
        u = uncertainty(proba, measure)
        assert u[2] > u[1] > u[0] and 0 <= u.min() and u.max() <= 1
    assert uncertainty(np.array([TORN]), "margin")[0] == pytest.approx(1 - 0.01)
    with pytest.raises(StanceError, match="measure"):
        uncertainty(proba, "variance")


def test_uncertainty_picks_the_least_decided_rows_first():
    proba = np.array([SURE, TORN, SURE, UNSURE, SURE])
    assert choose(texts(5), proba, "uncertainty", 2) == [1, 3]


def test_stratified_gives_each_predicted_label_its_share():
    rng = np.random.default_rng(0)
    proba = np.eye(5)[[0] * 40 + [1] * 5 + [2] * 3 + [3] * 2]  # predicted: 40 refusal, few others
    picks = choose(texts(50), proba * 0.9 + 0.02, "stratified", 10, seed=1)
    predicted = proba[picks].argmax(1)
    assert len(picks) == 10 and set(predicted) == {0, 1, 2, 3}
    assert (predicted == 3).sum() == 2 and (predicted == 0).sum() <= 3  # the rare labels all come in
    order = priority("stratified", proba, rng)
    assert sorted(order.tolist()) == list(range(50))


def test_random_depends_on_the_seed_only():
    proba = np.tile(SURE, (30, 1))
    a, b = choose(texts(30), proba, "random", 5, seed=3), choose(texts(30), proba, "random", 5, seed=3)
    assert a == b and a != choose(texts(30), proba, "random", 5, seed=4)


def test_near_duplicates_and_labelled_sentences_are_skipped():
    base = "The foreign ministry said on Monday that the missile programme was not negotiable."
    t = [base, base.replace("Monday", "Tuesday"), "Officials welcomed the offer of talks in Geneva next week.",
         "A third and unrelated sentence about the trade delegation arriving in Hanoi today."]
    proba = np.array([TORN, TORN, UNSURE, SURE])
    assert choose(t, proba, "uncertainty", 2) == [0, 2]  # row 1 is row 0 with one word changed
    labelled = ShingleIndex()
    labelled.add("Officials welcomed the offer of talks in Geneva next week.")
    assert choose(t, proba, "uncertainty", 2, labelled=labelled) == [0, 3]


def test_diverse_covers_clusters_instead_of_one_dense_region():
    # 30 uncertain sentences in one region of embedding space, 3 slightly less uncertain elsewhere
    rng = np.random.default_rng(0)
    centres = np.eye(4, 8)
    emb = np.vstack([centres[0] + 0.01 * rng.standard_normal((30, 8))] + [c[None] for c in centres[1:]])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    proba = np.array([TORN] * 30 + [UNSURE] * 3)
    t = texts(33)
    by_uncertainty = choose(t, proba, "uncertainty", 4)
    diverse = choose(t, proba, "diverse", 4, embed=lambda batch: emb[[t.index(x) for x in batch]])
    assert all(i < 30 for i in by_uncertainty)
    assert sorted(i >= 30 for i in diverse) == [False, True, True, True]


def test_diverse_pick_returns_n_distinct_rows_highest_weight_first():
    emb = np.random.default_rng(1).standard_normal((40, 6))
    w = np.linspace(0.1, 1.0, 40)
    picks = diverse_pick(emb, w, 7, seed=0)
    assert len(set(picks.tolist())) == 7 and list(w[picks]) == sorted(w[picks], reverse=True)
    assert sorted(diverse_pick(emb[:3], w[:3], 7).tolist()) == [0, 1, 2]  # fewer candidates than n


def test_unknown_strategy_is_a_stance_error():
    with pytest.raises(StanceError, match="strategy='smart'"):
        choose(texts(3), np.array([SURE] * 3), "smart", 1)
