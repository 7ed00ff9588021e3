"""Stream documents from JSONL/CSV files without loading them whole.

Bad records do not stop the job: they are reported to `on_error(where, reason)`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from stance.errors import StanceError

ErrorFn = Callable[[str, str], None]


class Document(NamedTuple):
    doc_id: str
    text: str
    where: str  # file:line, for error reports


def iter_documents(path: str | Path, text_field: str = "text", id_field: str = "id",
                   on_error: ErrorFn | None = None) -> Iterator[Document]:
    path = Path(path)
    if not path.is_file():
        raise StanceError("input file not found", where=str(path), fix="check input=<file>")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        records = _jsonl(path, on_error)
    elif suffix in (".csv", ".tsv"):
        records = _csv(path, "\t" if suffix == ".tsv" else ",")
    else:
        raise StanceError(f"unsupported input type {suffix!r}", where=str(path),
                          fix="use .jsonl or .csv (more formats: see the batch inference issue)")
    for line_no, rec in records:
        where = f"{path}:{line_no}"
        text = rec.get(text_field)
        if not isinstance(text, str) or not text.strip():
            reason = (f"missing field {text_field!r}" if text is None
                      else f"field {text_field!r} is empty or not a string")
            if on_error is None:
                raise StanceError(reason, where=where)
            on_error(where, reason)
            continue
        doc_id = rec.get(id_field)
        yield Document(str(doc_id) if doc_id not in (None, "") else f"{path.name}:{line_no}", text, where)


def _jsonl(path: Path, on_error: ErrorFn | None) -> Iterator[tuple[int, dict]]:
    with path.open("r", encoding="utf-8", errors="strict") as fh:
        line_no = 0
        while True:
            line_no += 1
            try:
                line = fh.readline()
            except UnicodeDecodeError as exc:
                reason = f"undecodable bytes ({exc.reason})"
                if on_error is None:
                    raise StanceError(reason, where=f"{path}:{line_no}") from None
                on_error(f"{path}:{line_no}", reason)
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"malformed JSON ({exc.msg} at column {exc.colno})"
                if on_error is None:
                    raise StanceError(reason, where=f"{path}:{line_no}") from None
                on_error(f"{path}:{line_no}", reason)
                continue
            if not isinstance(rec, dict):
                (on_error or _raise)(f"{path}:{line_no}", "expected a JSON object")
                continue
            yield line_no, rec


def _csv(path: Path, delimiter: str) -> Iterator[tuple[int, dict]]:
    with path.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        for rec in reader:
            yield reader.line_num, rec


def _raise(where: str, reason: str):
    raise StanceError(reason, where=where)
