"""Files of the labelling loop: predict outputs in, sample CSVs out, labelled files back in."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Iterator

from stance.errors import StanceError

PROBA_PREFIX = "p_"
LABELLER_COLUMNS = ("labeller", "annotator")


def read_predictions(path: str | Path):
    """A predict output (a .jsonl/.csv/.parquet file or a folder of Parquet shards) as a
    DataFrame; the label set is the order of its `p_<label>` columns."""
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        if not any(path.glob("*.parquet")):
            raise StanceError("no Parquet shards in this folder", where=str(path),
                              fix="give a predict output: a file, or the folder predict wrote its shards to")
        frame = pd.read_parquet(path)
    elif not path.is_file():
        raise StanceError("predict output not found", where=str(path),
                          fix="run scripts/predict.py input=<your dump> output=<this path> first")
    elif path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        frame = pd.read_json(path, lines=True, dtype={"id": str, "doc_id": str})
    elif path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype={"id": str, "doc_id": str, "text": str}, keep_default_na=False)
    else:
        raise StanceError(f"unsupported predict output type {path.suffix!r}", where=str(path),
                          fix="use the .jsonl, .csv or .parquet file (or shard folder) predict wrote")
    labels = [c[len(PROBA_PREFIX):] for c in frame.columns if c.startswith(PROBA_PREFIX)]
    missing = [c for c in ("id", "text") if c not in frame.columns]
    if missing or len(labels) < 2:
        raise StanceError(f"not a predict output: needs id, text and p_<label> columns "
                          f"(has {', '.join(map(str, frame.columns[:12]))})", where=str(path))
    return frame, labels


def write_sample_csv(rows: list[dict], labels, path: Path) -> Path:
    """The spreadsheet to label: an empty `label` column, the model's guess beside it."""
    cols = ["id", "doc_id", "text", "label", "labeller", "note", "predicted", "score", "uncertainty",
            *(f"{PROBA_PREFIX}{n}" for n in labels), "context_before", "context_after", "strategy", "rank"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**{c: r.get(c, "") for c in cols}, "label": "", "labeller": "", "note": ""})
    return path


def text_id(text: str) -> str:
    """An id for a labelled row that came without one: a digest of its text."""
    return "t-" + hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:12]


def read_labelled(path: str | Path, from_name: str = "label", text_field: str = "text",
                  label_field: str = "label") -> tuple[Iterator[dict], str]:
    """Rows {id, text, label (None = not labelled yet), labeller, doc_id, where} of a labelled
    file, and its format: a CSV/TSV or JSONL of rows (ours, or Label Studio's CSV export), or
    Label Studio's JSON / JSON-MIN export (.json)."""
    from stance.labeling.labelstudio import parse_export

    path = Path(path)
    if not path.is_file():
        raise StanceError("labelled file not found", where=str(path),
                          fix="give the CSV you filled in, or the JSON exported from Label Studio")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            tasks = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StanceError(f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                              where=str(path), fix="export the project from Label Studio as JSON") from None
        except UnicodeDecodeError as exc:
            raise StanceError(f"not UTF-8 text ({exc.reason})", where=str(path)) from None
        kind = "labelstudio-json" if tasks and isinstance(tasks, list) and isinstance(tasks[0], dict) \
            and ("data" in tasks[0] or "annotations" in tasks[0]) else "labelstudio-json-min"
        return parse_export(tasks, str(path), from_name, text_field), kind
    if suffix in (".csv", ".tsv", ".jsonl", ".ndjson"):
        return _rows(path, text_field, label_field), suffix.lstrip(".")
    raise StanceError(f"unsupported labelled file type {suffix!r}", where=str(path),
                      fix="use the .csv written by scripts/sample.py or a Label Studio .json export")


def _rows(path: Path, text_field: str, label_field: str) -> Iterator[dict]:
    from stance.data.load import read_records

    try:
        for line_no, rec in read_records(path, text_field):
            label = rec.get(label_field)
            who = next((rec[c] for c in LABELLER_COLUMNS if rec.get(c) not in (None, "")), None)
            yield {"id": next((str(rec[c]) for c in ("sentence_id", "id") if rec.get(c) not in (None, "")), None),
                   "text": rec[text_field], "label": label if label not in ("", None) else None,
                   "labeller": None if who is None else str(who),
                   "doc_id": None if rec.get("doc_id") in (None, "") else str(rec["doc_id"]),
                   "where": f"{path}:{line_no}"}
    except UnicodeDecodeError as exc:
        raise StanceError(f"not UTF-8 text ({exc.reason})", where=str(path),
                          fix="save the spreadsheet as CSV UTF-8") from None
    except csv.Error as exc:
        raise StanceError(f"malformed CSV ({exc})", where=str(path)) from None
