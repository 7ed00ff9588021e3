"""Shifts are tested for significance: a real jump is found, small-count noise is not."""

import pandas as pd

from stance.report.shifts import find_shifts


def _counts(rows):
    return pd.DataFrame(rows, columns=["actor", "period", "label", "n"])


def test_a_real_jump_is_significant_and_noise_is_not():
    rows = []
    for week in range(10):
        p = f"2024-01-{week + 1:02d}"
        threat = 40 if week == 6 else 5  # Iran: 40 of 50 in week 6 against 5 of 50 elsewhere
        rows += [("Iran", p, "threat", threat), ("Iran", p, "neutral", 50 - threat)]
        rows += [("Chad", p, "threat", 3 + week % 2), ("Chad", p, "neutral", 22 - week % 2)]  # noise
    rows += [("Tuvalu", "2024-01-07", "threat", 1), ("Tuvalu", "2024-01-07", "neutral", 1),
             ("Tuvalu", "2024-01-01", "neutral", 2)]  # 1 of 2: never tested
    s = find_shifts(_counts(rows), ["threat"], min_count=20, alpha=0.05)
    sig = s[s["significant"]]
    assert list(zip(sig["actor"], sig["period"])) == [("Iran", "2024-01-07")]
    top = sig.iloc[0]
    assert (top["k"], top["n"], top["k_base"], top["n_base"]) == (40, 50, 45, 450)
    assert top["delta"] > 0.6 and top["q_value"] < 1e-6
    assert "Tuvalu" not in set(s["actor"])
    assert (s.loc[s["actor"] == "Chad", "q_value"] > 0.05).all()


def test_nothing_to_test():
    assert find_shifts(_counts([]), ["threat"]).empty
    assert find_shifts(_counts([("A", "2024-01-01", "threat", 3)]), ["threat"], min_count=20).empty


def test_fisher_matches_scipy_on_small_tables():
    from scipy.stats import fisher_exact

    from stance.report.shifts import fisher_two_sided

    tables = [(3, 10, 20, 100), (9, 10, 1, 10), (0, 25, 30, 60), (12, 40, 12, 40)]
    got = fisher_two_sided(*zip(*tables))
    for (k, n, kb, nb), p in zip(tables, got):
        exact = fisher_exact([[k, n - k], [kb, nb - kb]]).pvalue
        assert exact <= p + 1e-12 and p <= min(1.0, 2 * exact) + 1e-12  # doubling is never anti-conservative
