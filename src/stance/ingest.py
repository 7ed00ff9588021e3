"""The ingest stage: a labelled file -> the next version of a user data set.

Reads the CSV filled in from `scripts/sample.py` (or any CSV/TSV/JSONL with text and label),
or Label Studio's JSON / JSON-MIN export. Every row is checked before anything is written:
an unknown label, a missing text or a repeated id stops the ingest with one line naming the
row. The version is written whole, then renamed into place (see stance.labeling.userdata).
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from pathlib import Path

from stance.errors import StanceError
from stance.labeling.formats import read_labelled, text_id
from stance.labeling.userdata import SPLITS, merge, read_version, split_of, versions, write_version
from stance.labels import LabelSet


def canonical_label(value, labels: LabelSet, where: str) -> str:
    """The label as the label set spells it (spreadsheet input: any case, spaces around)."""
    text = str(value).strip()
    if text in labels.names:
        return text
    folded = [n for n in labels.names if n.lower() == text.lower()]
    if len(folded) == 1:
        return folded[0]
    labels.to_id(text, where=where)  # raises: unknown label, with the label set in the fix
    return text


def validate(rows, labels: LabelSet, default_labeller: str | None = None) -> tuple[list[dict], list[str]]:
    """(labelled rows ready to store, where each unlabelled row was). Raises on the first bad row."""
    good: list[dict] = []
    unlabelled: list[str] = []
    seen: dict[str, str] = {}
    for r in rows:
        where = r["where"]
        text = r.get("text")
        if not isinstance(text, str) or not text.strip():
            raise StanceError("missing text", where=where, fix="every row needs the sentence it labels")
        if r.get("label") is None or (isinstance(r["label"], str) and not r["label"].strip()):
            unlabelled.append(where)
            continue
        label = canonical_label(r["label"], labels, where=f"{where} label")
        rid = r.get("id") or text_id(text)
        if rid in seen:
            raise StanceError(f"duplicate id {rid!r} (first at {seen[rid]})", where=where,
                              fix="each sentence once per file; ids come from scripts/sample.py "
                                  "(rows without an id get one from their text)")
        seen[rid] = where
        good.append({"id": rid, "text": text.strip(), "label": label, "doc_id": r.get("doc_id"),
                     "labeller": r.get("labeller") or default_labeller, "source": where})
    return good, unlabelled


def run(cfg) -> Path:
    if not 0.0 <= cfg.validation_share < 1.0:
        raise StanceError(f"validation_share={cfg.validation_share} must be in [0, 1)")
    if cfg.output:
        folder = Path(cfg.output)
    elif cfg.name:
        folder = Path(cfg.user_dir) / cfg.name
    else:
        raise StanceError("no data set named", fix="give name=<data set> (written to data/user/<name>/) "
                                                    "or output=<folder>")
    labels = LabelSet(cfg.labels)
    rows, kind = read_labelled(cfg.input, cfg.from_name, cfg.text_field, cfg.label_field)
    new, unlabelled = validate(rows, labels, cfg.labeller)
    if unlabelled and not cfg.allow_unlabelled:
        raise StanceError(f"{len(unlabelled)} rows have no label (first: {unlabelled[0]})",
                          where=str(cfg.input), fix="label them, or allow_unlabelled=true to leave them out")
    if not new:
        raise StanceError(f"no labelled rows ({len(unlabelled)} without a label)", where=str(cfg.input),
                          fix="fill in the `label` column (or annotate the tasks in Label Studio) first")
    for r in new:
        r["split"] = split_of(r, cfg.validation_share)
    found = versions(folder)
    previous = read_version(found[-1][1]) if found else []
    merged, counts = merge(previous, new)
    source = Path(cfg.input).resolve()
    provenance = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "source": str(source), "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "format": kind, "previous": f"v{found[-1][0]}" if found else None,
        "validation_share": cfg.validation_share,
        "rows": {s: sum(r["split"] == s for r in merged) for s in SPLITS},
        "this_ingest": {"labelled_rows": len(new), "unlabelled_rows_left_out": len(unlabelled), **counts},
        "labels": dict(Counter(r["label"] for r in merged)),
        "labellers": dict(Counter(r.get("labeller") or "unknown" for r in merged)),
    }
    version = write_version(folder, merged, provenance)
    hint = f"data.extra_train=[{folder}]" + (f" data.extra_validation=[{folder}]"
                                              if provenance["rows"]["validation"] else "")
    print(f"{version}: {provenance['rows']['train']} train + {provenance['rows']['validation']} validation rows "
          f"({counts['added']} added, {counts['relabelled']} relabelled, {counts['unchanged']} unchanged, "
          f"{counts['duplicate_text']} duplicate texts, {len(unlabelled)} unlabelled left out) from {cfg.input}\n"
          f"train on it: python scripts/train.py {hint}", file=sys.stderr)
    return version
