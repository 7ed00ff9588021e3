"""The compare stage: an experiment's runs as a table (terminal + Markdown) and a PNG chart.

For people on a remote box without the UI; the MLflow UI stays the main place to compare.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stance import tracking


def build_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per finished training run: the params that differ, scores and training time."""
    if runs.empty:
        return runs
    if "metrics.test_macro_f1" in runs:
        runs = runs[runs["metrics.test_macro_f1"].notna()]
    params = [c for c in runs.columns if c.startswith("params.")
              and not c.startswith(("params.paths.", "params.tracking."))]
    differing = [c for c in params if runs[c].astype(str).nunique(dropna=False) > 1]
    metric_cols = (["metrics.best_validation_macro_f1", "metrics.test_macro_f1"]
                   + sorted(c for c in runs.columns if c.startswith("metrics.test_f1_"))
                   + ["metrics.train_time_s"])
    metric_cols = [c for c in metric_cols if c in runs]
    table = runs[["tags.mlflow.runName", "run_id", *differing, *metric_cols]].copy()
    table.columns = [c.split(".", 1)[1] if "." in c else c for c in table.columns]
    table = table.rename(columns={"mlflow.runName": "run", "best_validation_macro_f1": "val_macro_f1"})
    table["run_id"] = table["run_id"].str[:8]
    return table.reset_index(drop=True)


def to_markdown(table: pd.DataFrame) -> str:
    def cell(v):
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(table.columns) + " |"
    sep = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, sep, *rows])


def plot(table: pd.DataFrame, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(table) + 3), 4.5))
    x = range(len(table))
    width = 0.4
    if "val_macro_f1" in table:
        ax.bar([i - width / 2 for i in x], table["val_macro_f1"], width, label="validation")
    ax.bar([i + width / 2 for i in x], table["test_macro_f1"], width, label="test")
    ax.set_xticks(list(x), [str(r)[:30] for r in table["run"]], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("macro-F1")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run(cfg) -> str:
    runs = tracking.search_runs(cfg.tracking, cfg.experiment_name, cfg.max_runs)
    table = build_table(runs)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if table.empty:
        print(f"No finished training runs in experiment {cfg.experiment_name!r}.")
        return ""
    markdown = to_markdown(table)
    (out / "compare.md").write_text(f"# Runs of experiment `{cfg.experiment_name}`\n\n{markdown}\n")
    table.to_csv(out / "compare.csv", index=False)
    plot(table, out / "compare.png", f"{cfg.experiment_name}: macro-F1 per run")
    with pd.option_context("display.width", 200, "display.max_columns", 50, "display.precision", 4):
        print(table.to_string(index=False))
    print(f"\nMarkdown, CSV and chart in {out}")
    return markdown
