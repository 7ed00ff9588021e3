"""Shifts: actor-periods whose share of a label moved against the actor's own baseline.

For every actor, period and stance label, the period's share (k of n sentences) is compared
with the actor's share in all its other periods (K of N) by Fisher's exact test on the 2x2
table; p-values are adjusted for the number of tests (Benjamini-Hochberg), so a jump from
1 of 2 sentences is never a headline. Only periods with at least `min_count` sentences, of
actors with at least `min_count` sentences outside the period, are tested."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["actor", "period", "label", "k", "n", "share", "k_base", "n_base", "share_base", "delta",
           "p_value", "q_value", "significant"]


def find_shifts(actor_period: pd.DataFrame, labels: list[str], min_count: int = 20,
                alpha: float = 0.05) -> pd.DataFrame:
    """All tested actor-period-labels, the significant ones first, by |delta|.

    `actor_period`: long counts (actor, period, label, n) as `aggregate.tables` makes them."""
    from scipy.stats import false_discovery_control, fisher_exact

    df = actor_period[actor_period["label"].isin(labels)][["actor", "period", "label", "n"]]
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    cell = df.rename(columns={"n": "k"})
    n_period = actor_period.groupby(["actor", "period"])["n"].sum().rename("n")
    n_actor = actor_period.groupby("actor")["n"].sum().rename("n_actor")
    k_actor = cell.groupby(["actor", "label"])["k"].sum().rename("k_actor")
    t = (cell.join(n_period, on=["actor", "period"]).join(n_actor, on="actor")
         .join(k_actor, on=["actor", "label"]))
    t["k_base"] = t["k_actor"] - t["k"]
    t["n_base"] = t["n_actor"] - t["n"]
    t = t[(t["n"] >= min_count) & (t["n_base"] >= min_count)].copy()
    if t.empty:
        return pd.DataFrame(columns=COLUMNS)
    t["share"] = t["k"] / t["n"]
    t["share_base"] = t["k_base"] / t["n_base"]
    t["delta"] = t["share"] - t["share_base"]
    t["p_value"] = [fisher_exact([[k, n - k], [kb, nb - kb]]).pvalue
                    for k, n, kb, nb in zip(t["k"], t["n"], t["k_base"], t["n_base"])]
    t["q_value"] = false_discovery_control(np.clip(t["p_value"].to_numpy(), 0, 1), method="bh")
    t["significant"] = t["q_value"] < alpha
    t["_abs"] = t["delta"].abs()
    t = t.sort_values(["significant", "_abs", "actor", "period"], ascending=[False, False, True, True])
    return t[COLUMNS].reset_index(drop=True)
