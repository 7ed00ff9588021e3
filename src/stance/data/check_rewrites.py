"""Check of the register rewrites (data/rewrites/train.jsonl): training sentences rewritten by
hand into another register with their label kept (DATASHEET, "Register rewrites").

Each row names the training sentence it rewrites (`source_id`) and must keep its label; the
set joins the training split only, so no row may be a near-duplicate of a validation or test
sentence, nor echo the real-text evaluation sets.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from stance.data.check import json_records, near_duplicates, normalise
from stance.labels import LabelSet

FIELDS = ("id", "text", "label", "secondary", "tags", "actor", "topic", "register", "source_id")
REGISTERS = ("transcript", "cable", "encyclopedic", "wire")


def check_rewrites(path: Path, train: dict[str, dict], held_out_texts: list[str],
                   eval_files: list[Path], labels: LabelSet, jaccard: float = 0.5,
                   eval_jaccard: float = 0.35) -> tuple[list[str], dict]:
    """(problems, statistics). `train`: the sentence corpus's training records by id (as the
    corpus check read them); `held_out_texts`: validation and test sentences of both corpora."""
    problems: list[str] = []
    rows, ids, texts = [], set(), set()
    for where, rec in json_records(path, lambda where, reason: problems.append(f"{where}: {reason}")):
        missing = set(FIELDS) - set(rec)
        if missing:
            problems.append(f"{where}: missing field(s) {sorted(missing)}")
            continue
        source = train.get(rec["source_id"])
        if rec["label"] not in labels.names:
            problems.append(f"{where}: field 'label': unknown label {rec['label']!r}")
        elif source is None:
            problems.append(f"{where}: field 'source_id': {rec['source_id']!r} is not a training sentence")
        elif source["label"] != rec["label"]:
            problems.append(f"{where}: field 'label': {rec['label']!r}, but its source "
                            f"{rec['source_id']} is {source['label']!r} (a rewrite keeps the label)")
        elif source["register"] == rec["register"]:
            problems.append(f"{where}: field 'register': {rec['register']!r} is its source's register")
        if rec["register"] not in REGISTERS:
            problems.append(f"{where}: field 'register': {rec['register']!r} not in {REGISTERS}")
        if rec["id"] in ids:
            problems.append(f"{where}: duplicate id {rec['id']!r}")
        if normalise(rec["text"]) in texts:
            problems.append(f"{where}: exact duplicate text")
        ids.add(rec["id"])
        texts.add(normalise(rec["text"]))
        rows.append((where, rec))
    for others, limit, what in ((held_out_texts, jaccard, "a validation or test sentence"),
                                *((_texts(p), eval_jaccard, f"evaluation text in {p}") for p in eval_files
                                  if Path(p).is_file())):
        if not rows or not others:
            continue
        sim = near_duplicates([r["text"] for _, r in rows], others)
        for a, b in zip(*np.nonzero(sim > limit)):
            problems.append(f"{rows[a][0]}: rewrite {rows[a][1]['id']} is a near-duplicate (word 3-gram "
                            f"Jaccard {sim[a, b]:.2f}) of {what}: {others[b][:80]!r}")
    stats = {"rows": len(rows), "labels": dict(Counter(r["label"] for _, r in rows)),
             "registers": dict(Counter(r["register"] for _, r in rows))}
    return problems, stats


def _texts(path: Path) -> list[str]:
    return [json.loads(x)["text"] for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
