"""The sample stage: a predict output -> the sentences worth labelling next.

Exact duplicates, short fragments and sentences already labelled (or already sent out) are
dropped; a strategy orders the rest (see stance.labeling.strategies); near-duplicates are
skipped as the batch is filled. Writes, into a new folder: `to_label.csv` (spreadsheet),
`tasks.json` (Label Studio import) with `label_config.xml` beside it, and `sample.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from stance.errors import StanceError
from stance.labeling import labelstudio
from stance.labeling.dedup import ShingleIndex, exact_key, first_of_each
from stance.labeling.formats import PROBA_PREFIX, read_labelled, read_predictions, write_sample_csv
from stance.labeling.select import choose
from stance.labeling.strategies import MEASURES, STRATEGIES, uncertainty
from stance.labeling.userdata import PROVENANCE, locate, read_version, versions


def known_rows(ref: str, user_dir: str | None = None) -> list[tuple[str | None, str]]:
    """(id, text) of every row of a user data set (its newest version; a bare name is looked up
    in `user_dir`), a version folder, or a labelled or sampled file (labelled or not: rows sent
    out count as taken)."""
    path = locate(ref, user_dir)
    if path.is_dir():
        version = path if (path / PROVENANCE).is_file() else (versions(path)[-1][1] if versions(path) else None)
        if version is None:
            raise StanceError("not a user data set or one of its versions", where=ref,
                              fix="give data/user/<name>, a version folder, or a labelled file")
        return [(r["id"], r["text"]) for r in read_version(version)]
    rows, _ = read_labelled(path)
    return [(r["id"], r["text"]) for r in rows]


def _context(frame) -> dict:
    """(doc_id, sent_idx) -> text, for the sentences around a pick."""
    if not {"doc_id", "sent_idx"} <= set(frame.columns):
        return {}
    return {(str(d), int(i)): t for d, i, t in zip(frame["doc_id"], frame["sent_idx"], frame["text"])}


def run(cfg) -> Path:
    if cfg.strategy not in STRATEGIES:
        raise StanceError(f"strategy={cfg.strategy!r} is not one of {', '.join(STRATEGIES)}")
    if cfg.measure not in MEASURES:
        raise StanceError(f"measure={cfg.measure!r} is not one of {', '.join(MEASURES)}")
    if cfg.n < 1:
        raise StanceError(f"n={cfg.n} must be at least 1")
    out = Path(cfg.output)
    if out.exists() and not cfg.overwrite:
        raise StanceError("output folder exists", where=str(out),
                          fix="give a new output folder (one per labelling round), or overwrite=true")
    frame, labels = read_predictions(cfg.input)
    texts = frame["text"].astype(str).tolist()
    ids = frame["id"].astype(str).tolist()
    counts: Counter = Counter(rows_in=len(frame), too_short=0, already_labelled=0)

    taken_ids, taken_keys, labelled = set(), set(), ShingleIndex()
    for ref in cfg.labelled:
        for rid, text in known_rows(ref, cfg.user_dir):
            taken_ids.add(rid)
            taken_keys.add(exact_key(text))
            labelled.add(text)
    keep = []
    for i in first_of_each(texts):
        if len(texts[i].split()) < cfg.min_words:
            counts["too_short"] += 1
        elif ids[i] in taken_ids or exact_key(texts[i]) in taken_keys:
            counts["already_labelled"] += 1
        else:
            keep.append(i)
    counts["exact_duplicates"] = len(frame) - counts["too_short"] - counts["already_labelled"] - len(keep)
    if not keep:
        raise StanceError("no sentence left to sample (all duplicates, too short or already labelled)",
                          where=str(cfg.input))
    proba = frame[[f"{PROBA_PREFIX}{n}" for n in labels]].to_numpy(dtype=np.float64)[keep]
    pool_texts = [texts[i] for i in keep]

    embed = None
    if cfg.strategy == "diverse":
        from stance.embed import Embedder

        embedder = Embedder(cfg.embedder)
        embed = lambda batch: embedder(batch, batch_size=cfg.embed_batch_size)  # noqa: E731
    picks = choose(pool_texts, proba, cfg.strategy, cfg.n, seed=cfg.seed, measure=cfg.measure,
                   labelled=labelled, near_dup=cfg.near_duplicate, embed=embed, candidates=cfg.candidates)

    unc = uncertainty(proba, cfg.measure)
    context = _context(frame)
    rows = []
    for rank, j in enumerate(picks, start=1):
        src = frame.iloc[keep[j]]
        p = proba[j]
        row = {"id": ids[keep[j]], "doc_id": str(src["doc_id"]) if "doc_id" in frame.columns else "",
               "text": pool_texts[j], "predicted": labels[int(p.argmax())], "score": round(float(p.max()), 4),
               "uncertainty": round(float(unc[j]), 4),
               **{f"{PROBA_PREFIX}{n}": round(float(v), 4) for n, v in zip(labels, p)},
               "strategy": cfg.strategy, "rank": rank}
        if context:
            key = (str(src["doc_id"]), int(src["sent_idx"]))
            row["context_before"] = context.get((key[0], key[1] - 1), "")
            row["context_after"] = context.get((key[0], key[1] + 1), "")
        else:
            row["context_before"] = row["context_after"] = ""
        rows.append(row)

    model = _model_of(cfg.input)
    manifest = {"input": str(Path(cfg.input).resolve()), "model": model, "strategy": cfg.strategy,
                "measure": cfg.measure, "n": cfg.n, "picked": len(rows), "seed": cfg.seed,
                "labelled": list(cfg.labelled), "counts": dict(counts), "pool": len(keep),
                "predicted_labels": dict(Counter(r["predicted"] for r in rows)),
                "mean_uncertainty": {"picked": round(float(np.mean([r["uncertainty"] for r in rows])), 4),
                                     "pool": round(float(unc.mean()), 4)},
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "files": ["to_label.csv", "tasks.json", "label_config.xml"]}
    _write(out, rows, labels, manifest, model, cfg.preannotate)
    print(f"{len(rows)} sentences to label ({cfg.strategy}) from {len(keep)} candidates of {len(frame)} rows "
          f"({counts['exact_duplicates']} exact duplicates, {counts['already_labelled']} already labelled, "
          f"{counts['too_short']} under {cfg.min_words} words dropped) -> {out}/to_label.csv, "
          f"{out}/tasks.json + label_config.xml (Label Studio)", file=sys.stderr)
    return out


def _model_of(input_path: str) -> str:
    """The model predict named in its summary (`<output>.summary.json`), if there is one."""
    for summary in (Path(str(input_path) + ".summary.json"), Path(str(input_path).rstrip("/") + ".summary.json")):
        if summary.is_file():
            try:
                return str(json.loads(summary.read_text()).get("model", "unknown"))
            except json.JSONDecodeError:
                pass
    return "unknown"


def _write(out: Path, rows: list[dict], labels, manifest: dict, model: str, preannotate: bool) -> None:
    """All files into a temporary folder, then renamed into place."""
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        write_sample_csv(rows, labels, tmp / "to_label.csv")
        tasks = [labelstudio.task(r, labels, model, preannotate) for r in rows]
        (tmp / "tasks.json").write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "label_config.xml").write_text(labelstudio.label_config(labels), encoding="utf-8")
        (tmp / "sample.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
