"""Read labelled JSONL/CSV files into `datasets.Dataset`s, validating every row.

Every problem names the file and line, the field, and what to do; nothing is
dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Iterator

from stance.errors import StanceError
from stance.labels import LabelSet

SPLITS = ("train", "validation", "test")
KEPT_FIELDS = ("id", "tags")  # carried into the Dataset when present (per-tag metrics)


def read_records(path: str | Path, text_field: str = "text") -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) from a JSONL or CSV file, checking the text field.

    Line numbers are 1-based and count the header line of a CSV file.
    """
    path = Path(path)
    if not path.is_file():
        raise StanceError("file not found", where=str(path),
                          fix="check the path (relative paths are read from the current folder)")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        rows = _read_jsonl(path)
    elif suffix in (".csv", ".tsv"):
        rows = _read_csv(path, delimiter="\t" if suffix == ".tsv" else ",")
    else:
        raise StanceError(f"unsupported file type {suffix!r}", where=str(path),
                          fix="use a .jsonl or .csv file")
    n = 0
    for line_no, rec in rows:
        text = rec.get(text_field)
        if text is None:
            raise StanceError(f"missing field {text_field!r}", where=f"{path}:{line_no}",
                              fix=f"add it, or set the text field name (fields here: {sorted(rec)})")
        if not isinstance(text, str) or not text.strip():
            raise StanceError(f"field {text_field!r} must be a non-empty string, got {text!r}",
                              where=f"{path}:{line_no}")
        n += 1
        yield line_no, rec
    if n == 0:
        raise StanceError("file holds no records", where=str(path),
                          fix="point to a file with at least one labelled row")


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open("r", encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise StanceError(f"malformed JSON ({exc.msg} at column {exc.colno})",
                                  where=f"{path}:{line_no}",
                                  fix="each line must be one JSON object") from None
            if not isinstance(rec, dict):
                raise StanceError(f"expected a JSON object, got {type(rec).__name__}",
                                  where=f"{path}:{line_no}")
            yield line_no, rec


def _read_csv(path: Path, delimiter: str) -> Iterator[tuple[int, dict]]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:  # -sig: spreadsheets' byte-order mark
        reader = csv.DictReader(fh, delimiter=delimiter)
        for rec in reader:
            yield reader.line_num, {k: v for k, v in rec.items() if k is not None}


def load_file(path: str | Path, labels: LabelSet, text_field: str = "text",
              label_field: str = "label", group_field: str | None = None,
              secondary_field: str | None = None):
    """Load one labelled file as a `datasets.Dataset` with columns text, label (id), id, tags.

    `group_field` adds a string column `group` (e.g. a real-text set's `source`);
    `secondary_field` adds `secondary`, the id of a second acceptable label or -1.
    """
    from datasets import ClassLabel, Dataset, Features, List, Value

    cols: dict[str, list] = {"text": [], "label": [], "id": [], "tags": []}
    if group_field:
        cols["group"] = []
    if secondary_field:
        cols["secondary"] = []
    for line_no, rec in read_records(path, text_field):
        where = f"{path}:{line_no}"
        if label_field not in rec:
            raise StanceError(f"missing field {label_field!r}", where=where,
                              fix=f"add the label, or set the label field name (fields here: {sorted(rec)})")
        cols["label"].append(labels.to_id(rec[label_field], where=f"{where} field {label_field!r}"))
        cols["text"].append(rec[text_field].strip())
        cols["id"].append(str(rec.get("id", f"{Path(path).name}:{line_no}")))
        tags = rec.get("tags") or []
        if isinstance(tags, str):  # CSV: "negation|reported"
            tags = [t for t in tags.replace(";", "|").split("|") if t]
        cols["tags"].append([str(t) for t in tags])
        if group_field:
            if rec.get(group_field) in (None, ""):
                raise StanceError(f"missing field {group_field!r}", where=where,
                                  fix="every row needs it to be scored by group, or drop the group field")
            cols["group"].append(str(rec[group_field]))
        if secondary_field:
            second = rec.get(secondary_field)
            cols["secondary"].append(-1 if second in (None, "") else
                                     labels.to_id(second, where=f"{where} field {secondary_field!r}"))
    features = {"text": Value("string"), "label": ClassLabel(names=list(labels.names)),
                "id": Value("string"), "tags": List(Value("string"))}
    if group_field:
        features["group"] = Value("string")
    if secondary_field:
        features["secondary"] = Value("int64")
    features = Features(features)
    return Dataset.from_dict(cols, features=features)


def load_documents(path: str | Path, labels: LabelSet):
    """The labelled sentences of a document-corpus file (data/documents/<split>.jsonl) as a
    Dataset with the columns of `load_file`; each sentence's text is cut from its document
    by its offsets, and its tags name the document's register (`doc_<register>`)."""
    from datasets import ClassLabel, Dataset, Features, List, Value

    from stance.data.documents import sentence_rows

    cols: dict[str, list] = {"text": [], "label": [], "id": [], "tags": []}
    for line_no, doc in read_records(path):
        where = f"{path}:{line_no}"
        if not isinstance(doc.get("sentences"), list):
            raise StanceError("missing field 'sentences' (a document record)", where=where,
                              fix="build document files with scripts/build_documents.py")
        text = doc["text"]
        for s in doc["sentences"]:
            if not (isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
                    and 0 <= s["start"] < s["end"] <= len(text)):
                raise StanceError(f"sentence offsets {s.get('start')}..{s.get('end')} outside the text",
                                  where=where, fix="rebuild the file with scripts/build_documents.py")
        for row in sentence_rows(doc):
            cols["label"].append(labels.to_id(row["label"], where=f"{where} sentence {row['id']}"))
            cols["text"].append(row["text"])
            cols["id"].append(row["id"])
            cols["tags"].append(row["tags"])
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(labels.names)),
                         "id": Value("string"), "tags": List(Value("string"))})
    return Dataset.from_dict(cols, features=features)


def split_paths(data_cfg) -> dict[str, list[Path]]:
    """The files behind each split: the sentence corpus and/or the document corpus."""
    base = Path(data_cfg.dir)
    names = {"train": data_cfg.train_file, "validation": data_cfg.validation_file,
             "test": data_cfg.test_file}
    paths: dict[str, list[Path]] = {s: [] for s in names}
    for split, name in names.items():
        if data_cfg.sentences:
            paths[split].append(base / name)
        if data_cfg.documents:
            paths[split].append(Path(data_cfg.documents) / name)
    if not any(paths.values()):
        raise StanceError("no training data: data.sentences=false and no data.documents",
                          fix="use data=corpus, data=documents or data=both")
    for split, files in extra_paths(data_cfg).items():
        paths[split].extend(files)
    return paths


def extra_paths(data_cfg) -> dict[str, list[Path]]:
    """The user's labelled sets (data.extra_train / extra_validation), resolved to files
    (a data set folder, or a bare name under <data.dir>/user/, means its newest version now)."""
    from stance.labeling.userdata import resolve

    user_dir = Path(data_cfg.dir) / "user"  # where scripts/ingest.py puts data sets by name
    return {split: [resolve(ref, split, user_dir) for ref in (data_cfg.get(f"extra_{split}") or [])]
            for split in ("train", "validation")}


def extra_digests(data_cfg) -> dict[str, str]:
    """MLflow tags naming each extra set's resolved file and digest."""
    return {f"extra_{split}_{i}": f"{path} ({file_digest([path])})"
            for split, files in extra_paths(data_cfg).items() for i, path in enumerate(files)}


def load_splits(data_cfg, labels: LabelSet, seed: int = 0, limit: int | None = None):
    """Load train/validation/test as a `DatasetDict` (all files validated before any training).

    A split is the sentence corpus's file, the document corpus's sentences, or both
    concatenated (`data.sentences`, `data.documents`)."""
    from datasets import DatasetDict, concatenate_datasets

    extras = {p for files in extra_paths(data_cfg).values() for p in files}

    def one(path: Path):
        if path in extras:  # the user's sets: written by scripts/ingest.py (text, label)
            return load_file(path, labels)
        if data_cfg.documents and path.parent == Path(data_cfg.documents):
            return load_documents(path, labels)
        return load_file(path, labels, data_cfg.text_field, data_cfg.label_field)

    ds = DatasetDict({split: concatenate_datasets([one(p) for p in paths])
                      for split, paths in split_paths(data_cfg).items()})
    frac = float(data_cfg.train_fraction)
    if not 0.0 < frac <= 1.0:
        raise StanceError(f"data.train_fraction must be in (0, 1], got {frac}")
    if frac < 1.0:
        ds["train"] = ds["train"].train_test_split(
            train_size=frac, seed=seed, stratify_by_column="label")["train"]
    if limit:
        ds = DatasetDict({k: v.select(range(min(limit, len(v)))) for k, v in ds.items()})
    return ds


def file_digest(paths) -> str:
    """A short digest of the bytes of the given files (tags runs with the data they saw)."""
    h = hashlib.sha256()
    for p in _flat(paths):
        h.update(Path(p).name.encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def _flat(paths) -> list[Path]:
    """Paths from a list, or from a dict/list of lists (split -> files)."""
    if isinstance(paths, dict):
        paths = list(paths.values())
    out = []
    for p in paths:
        out.extend(_flat(p) if isinstance(p, (list, tuple, dict)) else [Path(p)])
    return out
