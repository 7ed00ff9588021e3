"""The errors stage: where a model goes wrong on an eval set, and what it learned instead.

Every wrong prediction on the set, grouped by gold -> predicted label (largest groups
first) and by the set's group field (e.g. `source`), with the probability of each label
and the nearest training sentences by sentence-embedding similarity. Markdown for
reading, CSV for filtering; both logged to MLflow as artifacts of an `errors` run.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from stance import evalsets, tracking
from stance.data.load import file_digest, load_splits, split_paths
from stance.embed import Embedder, nearest
from stance.errors import StanceError
from stance.outputs import load_classifier, safe_name


def error_rows(data, proba: np.ndarray, labels, neighbours=None) -> list[dict]:
    """One dict per wrong prediction (pure: no I/O). `neighbours` = (texts, labels, idx, sims)."""
    y_true = np.asarray(data["label"])
    y_pred = proba.argmax(1)
    groups = data["group"] if "group" in data.column_names else [""] * len(y_true)
    secondary = data["secondary"] if "secondary" in data.column_names else [-1] * len(y_true)
    rows = []
    for i in np.flatnonzero(y_pred != y_true):
        row = {"id": data["id"][i], "group": groups[i], "gold": labels.to_name(y_true[i]),
               "predicted": labels.to_name(y_pred[i]), "score": float(proba[i, y_pred[i]]),
               "secondary": labels.to_name(secondary[i]) if secondary[i] >= 0 else "",
               "text": data["text"][i],
               **{f"p_{n}": float(proba[i, j]) for j, n in enumerate(labels.names)}}
        if neighbours is not None:
            texts, train_labels, idx, sims = neighbours
            row["nearest"] = [(texts[j], labels.to_name(train_labels[j]), float(s))
                              for j, s in zip(idx[i], sims[i])]
        rows.append(row)
    return rows


def to_markdown(name: str, rows: list[dict], n_total: int, labels, model_desc: str) -> str:
    pairs = Counter((r["gold"], r["predicted"]) for r in rows)
    by_group = Counter(r["group"] for r in rows)
    lines = [f"# Errors on {name}", "", f"Model: {model_desc}  ",
             f"{len(rows)} wrong of {n_total} ({len(rows) / max(n_total, 1):.1%}); "
             f"median probability of a wrong answer {np.median([r['score'] for r in rows]) if rows else 0:.2f}",
             "", "| gold → predicted | errors |", "|---|---|"]
    lines += [f"| {g} → {p} | {c} |" for (g, p), c in pairs.most_common()]
    if any(by_group):
        lines += ["", "| group | errors |", "|---|---|"] + [f"| {g} | {c} |" for g, c in by_group.most_common()]
    for (g, p), c in pairs.most_common():
        lines += ["", f"## {g} → {p} ({c})"]
        for r in sorted((r for r in rows if (r["gold"], r["predicted"]) == (g, p)), key=lambda r: -r["score"]):
            probs = ", ".join(f"{n} {r[f'p_{n}']:.2f}" for n in labels.names)
            lines += ["", f"- **{r['id']}** ({r['group'] or '-'}; p {probs}"
                      + (f"; secondary {r['secondary']}" if r["secondary"] else "") + ")", f"  > {r['text']}"]
            for text, lab, sim in r.get("nearest", []):
                lines.append(f"  - nearest train ({lab}, {sim:.2f}): {text}")
    return "\n".join(lines) + "\n"


def write_csv(rows: list[dict], labels, path: Path) -> Path:
    cols = ["id", "group", "gold", "predicted", "score", "secondary", "text"] + \
        [f"p_{n}" for n in labels.names] + ["nearest"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({**{c: r.get(c, "") for c in cols[:-1]},
                        "nearest": " || ".join(f"[{lab} {sim:.2f}] {t}" for t, lab, sim in r.get("nearest", []))})
    return path


def run(cfg) -> Path:
    from hydra.core.hydra_config import HydraConfig

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    classifier, model_desc = load_classifier(cfg.model_uri, cfg.tracking)
    labels = classifier.labels
    sets, notes = evalsets.available(cfg.eval_sets)
    if cfg.eval_set not in sets:
        raise StanceError(f"eval set {cfg.eval_set!r} is not available"
                          + (f" ({'; '.join(notes)})" if notes else ""),
                          fix=f"add it with eval_sets=[{cfg.eval_set}] and check its file, or pick another")
    data = evalsets.load_set(cfg.eval_set, sets[cfg.eval_set], labels)
    proba = classifier.predict_proba(data["text"], batch_size=cfg.batch_size)
    neighbours = None
    if cfg.nearest > 0:
        train = load_splits(cfg.data, labels)["train"]
        embed = Embedder(cfg.embedder)
        wrong = np.flatnonzero(proba.argmax(1) != np.asarray(data["label"]))
        train_vecs = embed(train["text"])
        qv = embed([data["text"][i] for i in wrong])
        q = np.zeros((len(data), train_vecs.shape[1]), dtype=np.float32)
        q[wrong] = qv
        idx, sims = nearest(q, train_vecs, cfg.nearest)
        neighbours = (train["text"], np.asarray(train["label"]), idx, sims)
    rows = error_rows(data, proba, labels, neighbours)
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = safe_name(cfg.eval_set)
    md = out_dir / f"{prefix}_errors.md"
    md.write_text(to_markdown(cfg.eval_set, rows, len(data), labels, model_desc))
    csv_path = write_csv(rows, labels, out_dir / f"{prefix}_errors.csv")
    tags = {"stage": "errors", "model": model_desc, "git_commit": tracking.git_commit(Path(cfg.paths.root)),
            "data_digest": file_digest([sets[cfg.eval_set].file, split_paths(cfg.data)["train"]])}
    with tracking.start_run(cfg.tracking, "errors", cfg.run_name or f"errors-{prefix}", tags) as mlrun:
        mlrun.log_params(tracking.flatten(OmegaConf.to_container(cfg, resolve=True)))
        mlrun.log_metrics({"errors": len(rows), "rows": len(data)})
        mlrun.log_artifact(md, "errors")
        mlrun.log_artifact(csv_path, "errors")
    pairs = Counter((r["gold"], r["predicted"]) for r in rows).most_common(6)
    print(f"{len(rows)} errors of {len(data)} on {cfg.eval_set}; largest: "
          + ", ".join(f"{g}->{p} {c}" for (g, p), c in pairs))
    print(f"Report: {md}\nTable: {csv_path}")
    return md
