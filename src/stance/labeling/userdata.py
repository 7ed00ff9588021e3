"""User data sets: labelled sentences of a user's own text, versioned, with provenance.

    data/user/<name>/v1/  train.jsonl  validation.jsonl  provenance.json
                    v2/  ...

A version is written whole under a temporary name and renamed into place, and never changed
afterwards; each ingest writes the next version, a snapshot of the previous one updated and
extended by the new labels. Every row keeps its split across versions (a hash of its
document id, or of its id), so validation sentences never move into training.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

from stance.errors import StanceError
from stance.labeling.dedup import exact_key

SPLITS = ("train", "validation")
PROVENANCE = "provenance.json"
_VERSION = re.compile(r"^v(\d+)$")
ROW_FIELDS = ("id", "text", "label", "doc_id", "labeller", "source", "version")


def versions(folder: str | Path) -> list[tuple[int, Path]]:
    """(number, folder) of every complete version, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := _VERSION.match(p.name)) and (p / PROVENANCE).is_file()]
    return sorted(found)


def resolve(ref: str | Path, split: str, user_dir: str | Path | None = None) -> Path:
    """The file behind `ref` for `split`: a file as given, a version folder's `<split>.jsonl`,
    or the newest version's of a data set folder; a bare name is a data set in `user_dir`."""
    path = locate(ref, user_dir)
    if path.is_file():
        return path
    if (path / PROVENANCE).is_file():
        return path / f"{split}.jsonl"
    found = versions(path)
    if found:
        return found[-1][1] / f"{split}.jsonl"
    raise StanceError("not a labelled file, a user data set or one of its versions", where=str(ref),
                      fix="write one with scripts/ingest.py (data/user/<name>/), or give a JSONL/CSV file")


def locate(ref: str | Path, user_dir: str | Path | None = None) -> Path:
    """`ref` as a path, or, when no such path exists, the data set `<user_dir>/<ref>`."""
    path = Path(ref)
    if not path.exists() and user_dir is not None and (Path(user_dir) / path).is_dir():
        return Path(user_dir) / path
    return path


def read_version(version_dir: Path) -> list[dict]:
    """The rows of one version, both splits, each with its `split`."""
    rows = []
    for split in SPLITS:
        path = Path(version_dir) / f"{split}.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rows.append({**json.loads(line), "split": split})
    return rows


def split_of(row: dict, validation_share: float, salt: str = "stance-user") -> str:
    """train or validation, fixed by a hash of the row's document id (else its id)."""
    key = row.get("doc_id") or row["id"]
    u = int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "validation" if u < validation_share else "train"


def merge(previous: list[dict], new: list[dict]) -> tuple[list[dict], Counter]:
    """The next snapshot: previous rows, with the new labels applied (pure).

    A new row whose id is known replaces the old label (counted `relabelled`, or `unchanged`);
    a known id with other text, or one text with two labels, is an error; a new row repeating
    a known text with the same label is dropped (`duplicate_text`)."""
    rows = {r["id"]: dict(r) for r in previous}
    by_text = {exact_key(r["text"]): r["id"] for r in previous}
    counts: Counter = Counter()
    for r in new:
        key = exact_key(r["text"])
        old = rows.get(r["id"])
        if old is not None:
            if exact_key(old["text"]) != key:
                raise StanceError(f"id {r['id']!r} already holds another sentence in this data set "
                                  f"({old['text'][:60]!r})", where=r.get("source"),
                                  fix="keep the ids that scripts/sample.py wrote, or give new rows new ids")
            counts["relabelled" if old["label"] != r["label"] else "unchanged"] += 1
            # the row keeps its split and the version that added it
            rows[r["id"]] = {**old, **{k: v for k, v in r.items() if k not in ("version", "split")}}
            continue
        twin = rows.get(by_text.get(key, ""))
        if twin is not None:
            if twin["label"] != r["label"]:
                raise StanceError(f"the same sentence has label {r['label']!r} here and {twin['label']!r} "
                                  f"as {twin['id']!r} ({twin.get('source')})", where=r.get("source"),
                                  fix="give one sentence one label")
            counts["duplicate_text"] += 1
            continue
        rows[r["id"]] = dict(r)
        by_text[key] = r["id"]
        counts["added"] += 1
    return list(rows.values()), counts


def write_version(folder: str | Path, rows: list[dict], provenance: dict) -> Path:
    """Write the next version (rows carry `split`) whole, then rename it into place."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    number = (versions(folder)[-1][0] if versions(folder) else 0) + 1
    final = folder / f"v{number}"
    tmp = folder / f".tmp-v{number}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for split in SPLITS:
            with (tmp / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
                for r in rows:
                    if r["split"] == split:
                        rec = {k: r.get(k) for k in ROW_FIELDS}
                        rec["version"] = rec["version"] or number
                        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        prov = {"version": number, **provenance}
        (tmp / PROVENANCE).write_text(json.dumps(prov, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if final.exists():
            raise StanceError("version folder appeared while writing (another ingest?)", where=str(final),
                              fix="run the ingest again")
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
