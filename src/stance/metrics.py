"""Scores, reports and plots for a labelled split (scikit-learn + matplotlib)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from stance.calibration import expected_calibration_error
from stance.labels import LabelSet


def scores(y_true, y_pred, labels: LabelSet) -> dict[str, float]:
    """Accuracy, macro-F1 and per-label precision/recall/F1/support as a flat dict.

    Macro-F1 averages over the labels present in `y_true` (a set without reassurance
    rows, such as the external one, is not scored on an undefined reassurance F1);
    predicting an absent label still costs the recall of the true one.
    """
    ids = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    present = sorted(set(np.asarray(y_true).tolist())) or ids
    out = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
    }
    for i, name in enumerate(labels.names):
        out[f"precision_{name}"] = float(p[i])
        out[f"recall_{name}"] = float(r[i])
        out[f"f1_{name}"] = float(f[i])
        out[f"support_{name}"] = int(s[i])
    return out


def slice_scores(y_true, y_pred, tags: list[list[str]], labels: LabelSet, min_rows: int = 5) -> dict:
    """Macro-F1 and accuracy on the rows carrying each tag (hard-case slices)."""
    by_tag: dict[str, list[int]] = defaultdict(list)
    for i, row_tags in enumerate(tags):
        for t in row_tags or []:
            by_tag[t].append(i)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    out = {}
    for tag, idx in sorted(by_tag.items()):
        if len(idx) < min_rows:
            continue
        t, p = y_true[idx], y_pred[idx]
        present = sorted(set(t.tolist()))  # macro over the labels that occur in the slice
        out[tag] = {"rows": len(idx), "accuracy": float(accuracy_score(t, p)),
                    "macro_f1": float(f1_score(t, p, labels=present, average="macro", zero_division=0))}
    return out


def lenient_predictions(y_true, y_pred, secondary) -> np.ndarray:
    """Predictions with a hit on the `secondary` label counted as the primary one."""
    y_true, y_pred, secondary = np.asarray(y_true), np.asarray(y_pred), np.asarray(secondary)
    return np.where((secondary >= 0) & (y_pred == secondary), y_true, y_pred)


def group_scores(y_true, y_pred, groups, labels: LabelSet) -> dict:
    """Macro-F1, accuracy and per-label recall within each group (e.g. each `source`)."""
    y_true, y_pred, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    out = {}
    for g in sorted(set(groups.tolist())):
        idx = groups == g
        s = scores(y_true[idx], y_pred[idx], labels)
        out[str(g)] = {"rows": int(idx.sum()), "accuracy": s["accuracy"], "macro_f1": s["macro_f1"],
                       **{f"recall_{n}": s[f"recall_{n}"] for n in labels.names}}
    return out


def plot_reliability(proba: np.ndarray, y_true, path: Path, title: str = "", bins: int = 10) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    centres = (edges[:-1] + edges[1:]) / 2
    acc = [correct[which == b].mean() if (which == b).any() else np.nan for b in range(bins)]
    count = [int((which == b).sum()) for b in range(bins)]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.bar(centres, acc, width=1 / bins, edgecolor="black", alpha=0.7, label="accuracy in bin")
    for x, a, n in zip(centres, acc, count):
        if n:
            ax.annotate(str(n), (x, (0 if np.isnan(a) else a) + 0.01), ha="center", fontsize=7)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper left")
    ax.set_title(title or "Reliability diagram")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_confusion(y_true, y_pred, labels: LabelSet, path: Path, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    cm = confusion_matrix(y_true, y_pred, labels=list(range(len(labels))))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ConfusionMatrixDisplay(cm, display_labels=list(labels.names)).plot(
        ax=ax, cmap="Blues", colorbar=False, xticks_rotation=30)
    ax.set_title(title or "Confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def evaluate(y_true, proba: np.ndarray, labels: LabelSet, texts, ids=None, tags=None,
             out_dir: Path | None = None, prefix: str = "test", groups=None,
             secondary=None) -> dict:
    """Score predictions and, with `out_dir`, write the report, confusion and reliability
    PNGs and the errors CSV.

    `groups` (one string per row, e.g. the `source`) adds per-group scores; `secondary`
    (a label id per row, -1 for none) adds `lenient_*` scores that accept either label.
    Returns {"metrics": flat dict, "slices": per-tag dict, "groups": per-group dict,
    "artifacts": [paths]}.
    """
    y_true = np.asarray(y_true)
    y_pred = proba.argmax(axis=1)
    metrics = scores(y_true, y_pred, labels)
    metrics["ece"] = expected_calibration_error(proba, y_true)
    if secondary is not None:
        lenient = scores(y_true, lenient_predictions(y_true, y_pred, secondary), labels)
        metrics.update({"lenient_accuracy": lenient["accuracy"], "lenient_macro_f1": lenient["macro_f1"]})
    by_group = group_scores(y_true, y_pred, groups, labels) if groups is not None else {}
    slices = slice_scores(y_true, y_pred, tags, labels) if tags is not None else {}
    artifacts: list[Path] = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        report = classification_report(y_true, y_pred, labels=list(range(len(labels))),
                                        target_names=list(labels.names), digits=3, zero_division=0)
        if by_group:
            report += "\nPer group (rows, accuracy, macro-F1, recall per label):\n"
            for g, s in by_group.items():
                report += (f"  {g:<12} {s['rows']:>5} {s['accuracy']:.3f} {s['macro_f1']:.3f}  "
                           + " ".join(f"{n[:5]} {s[f'recall_{n}']:.2f}" for n in labels.names) + "\n")
        report += f"\nExpected calibration error (15 bins): {metrics['ece']:.4f}\n"
        if "lenient_macro_f1" in metrics:
            report += f"Lenient macro-F1 (the secondary label also counts): {metrics['lenient_macro_f1']:.4f}\n"
        if slices:
            report += "\nPer-tag slices (rows, accuracy, macro-F1 over labels present):\n"
            for tag, s in slices.items():
                report += f"  {tag:<12} {s['rows']:>5} {s['accuracy']:.3f} {s['macro_f1']:.3f}\n"
        (out_dir / f"{prefix}_classification_report.txt").write_text(report)
        (out_dir / f"{prefix}_metrics.json").write_text(
            json.dumps({"metrics": metrics, "slices": slices, "groups": by_group}, indent=2) + "\n")
        plot_confusion(y_true, y_pred, labels, out_dir / f"{prefix}_confusion_matrix.png",
                       title=f"{prefix}: macro-F1 {metrics['macro_f1']:.3f}")
        plot_reliability(proba, y_true, out_dir / f"{prefix}_reliability.png",
                         title=f"{prefix}: ECE {metrics['ece']:.3f}")
        errors_path = out_dir / f"{prefix}_misclassified.csv"
        with errors_path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "text", "label", "predicted", "score", "tags"])
            for i in np.flatnonzero(y_pred != y_true):
                w.writerow([ids[i] if ids is not None else i, texts[i], labels.to_name(y_true[i]),
                            labels.to_name(y_pred[i]), f"{proba[i, y_pred[i]]:.4f}",
                            "|".join(tags[i]) if tags is not None else ""])
        artifacts = [out_dir / f"{prefix}_{n}" for n in
                     ("classification_report.txt", "metrics.json", "confusion_matrix.png", "reliability.png",
                      "misclassified.csv")]
    return {"metrics": metrics, "slices": slices, "groups": by_group, "artifacts": artifacts}


def format_summary(metrics: dict, labels: LabelSet) -> str:
    lines = [f"accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}"]
    lines += [f"  {n:<12} F1 {metrics[f'f1_{n}']:.4f}  (P {metrics[f'precision_{n}']:.3f}, "
              f"R {metrics[f'recall_{n}']:.3f}, n={metrics[f'support_{n}']})" for n in labels.names]
    return "\n".join(lines)
