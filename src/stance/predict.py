"""The predict stage: documents -> sentences -> batches -> probabilities -> rows.

Every step is an iterator over a bounded window, so memory does not grow with the input.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from stance.errors import StanceError
from stance.inference.readers import Document, iter_documents
from stance.inference.writers import RowWriter
from stance.outputs import load_classifier
from stance.segment import split_sentences
from stance.serving import predictions_frame


def iter_units(docs: Iterable[Document], segment: bool) -> Iterator[dict]:
    """One dict per unit to classify: a sentence of a document, or the whole record."""
    for doc in docs:
        if not segment:
            yield {"id": doc.doc_id, "text": doc.text}
            continue
        for idx, sent in enumerate(split_sentences(doc.text)):
            yield {"id": f"{doc.doc_id}:{idx}", "doc_id": doc.doc_id, "sent_idx": idx,
                   "start": sent.start, "end": sent.end, "text": sent.text}


def windows(units: Iterator[dict], size: int) -> Iterator[list[dict]]:
    while chunk := list(itertools.islice(units, size)):
        yield chunk


def run(cfg) -> dict:
    if cfg.num_threads:
        import torch

        torch.set_num_threads(cfg.num_threads)
    output = Path(cfg.output)
    errors_path = output.with_name(output.name + ".errors.jsonl")
    classifier, model_desc = load_classifier(cfg.model_uri, cfg.tracking)
    labels = classifier.labels
    columns = (["id", "doc_id", "sent_idx", "start", "end"] if cfg.segment else ["id"]) + \
        ["text", "label", "score"] + [f"p_{n}" for n in labels.names]

    started = time.time()
    n_docs, n_bad, label_counts = 0, 0, Counter()
    with RowWriter(output, columns) as writer, errors_path.open("w", encoding="utf-8") as err_fh:
        def on_error(where: str, reason: str) -> None:
            nonlocal n_bad
            n_bad += 1
            err_fh.write(json.dumps({"where": where, "reason": reason}) + "\n")

        def counted(docs):
            nonlocal n_docs
            for doc in docs:
                n_docs += 1
                yield doc

        docs = counted(iter_documents(cfg.input, cfg.text_field, cfg.id_field, on_error=on_error))
        for chunk in windows(iter_units(docs, cfg.segment), cfg.window):
            proba = classifier.predict_proba([u["text"] for u in chunk], batch_size=cfg.batch_size)
            frame = predictions_frame(proba, labels)
            rows = [{**unit, **pred} for unit, pred in zip(chunk, frame.to_dict("records"))]
            label_counts.update(frame["label"])
            writer.write(rows)
    if n_bad == 0:
        errors_path.unlink()

    elapsed = time.time() - started
    summary = {"input": str(cfg.input), "output": str(output), "model": model_desc,
               "documents": n_docs, "rows": writer.rows_written, "bad_records": n_bad,
               "labels": dict(label_counts), "seconds": round(elapsed, 2),
               "rows_per_s": round(writer.rows_written / elapsed, 1) if elapsed else None}
    output.with_name(output.name + ".summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{n_docs} records -> {writer.rows_written} rows in {output} "
          f"({summary['rows_per_s']} rows/s); model {model_desc}", file=sys.stderr)
    total = n_docs + n_bad
    if n_bad:
        print(f"{n_bad} bad records listed in {errors_path}", file=sys.stderr)
    if total and n_bad / total > cfg.max_error_rate:
        raise StanceError(f"{n_bad} of {total} records were bad ({n_bad / total:.1%}), above "
                          f"max_error_rate={cfg.max_error_rate}", where=str(errors_path),
                          fix="fix the input or raise max_error_rate")
    return summary
