"""Document-level evaluation: the predict path (split, then classify) on labelled documents.

The documents are split with the splitter predict uses (`segment.split_spans`), turned
into rows by predict's own `units_of`, and classified; each gold sentence then takes the
label of the predicted sentence that overlaps it most. Splitting and classification are
measured together, as users meet them, and the splitter's boundary agreement with the
gold sentences is reported beside.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from stance.data.load import read_records
from stance.errors import StanceError
from stance.inference.readers import Document
from stance.inference.units import units_of
from stance.segment import split_spans


def match(gold: list[tuple[int, int]], predicted: list[tuple[int, int]]) -> list[int]:
    """For each gold span, the index of the predicted span overlapping it most (-1: none)."""
    out = []
    for gs, ge in gold:
        best, best_overlap = -1, 0
        for i, (ps, pe) in enumerate(predicted):
            overlap = min(ge, pe) - max(gs, ps)
            if overlap > best_overlap:
                best, best_overlap = i, overlap
        out.append(best)
    return out


PREFIX_CHARS = 20  # a paragraph number or speaker tag the splitter keeps: "12. (C)", "QUESTION:"


def boundary_agreement(gold: list[tuple[int, int]], predicted: list[tuple[int, int]]) -> tuple[int, int, int]:
    """(gold sentences the splitter found, gold sentences, predicted sentences that overlap a
    gold one). Found = a predicted span with the same end that starts at the gold start or at
    most PREFIX_CHARS before it (the unlabelled prefix of a numbered or spoken paragraph), with
    no other gold sentence inside that prefix.
    Predicted spans over unlabelled lines (headings, SUBJECT lines) are not counted."""
    pred_in_gold = [p for p in predicted if any(min(ge, p[1]) > max(gs, p[0]) for gs, ge in gold)]
    starts = [gs for gs, _ in gold]
    found = sum(any(pe == ge and 0 <= gs - ps <= PREFIX_CHARS and not any(ps <= s < gs for s in starts)
                    for ps, pe in pred_in_gold) for gs, ge in gold)
    return found, len(gold), len(pred_in_gold)


def evaluate_documents(classifier, path: str | Path, batch_size: int = 64, out_path: Path | None = None):
    """(y_true ids, probabilities per gold sentence, registers, sentence texts, boundary stats)."""
    labels = classifier.labels
    docs = []
    for line_no, rec in read_records(path):
        if not isinstance(rec.get("sentences"), list):
            raise StanceError("not a document record (no 'sentences')", where=f"{path}:{line_no}",
                              fix="give a document-corpus file, e.g. data/documents/test.jsonl")
        docs.append(rec)
    spans = split_spans([d["text"] for d in docs])
    units = [units_of(Document(d["id"], d["text"], f"{path}", {}), sp) for d, sp in zip(docs, spans)]
    flat = [u for us in units for u in us]
    proba_all = classifier.predict_proba([u["text"] for u in flat], batch_size) if flat else \
        np.zeros((0, len(labels)), dtype=np.float32)
    y_true, rows, registers, texts, ids = [], [], [], [], []
    exact = n_gold = n_pred = 0
    offset = 0
    for doc, us in zip(docs, units):
        gold = [(s["start"], s["end"]) for s in doc["sentences"]]
        predicted = [(u["start"], u["end"]) for u in us]
        e, g, p = boundary_agreement(gold, predicted)
        exact, n_gold, n_pred = exact + e, n_gold + g, n_pred + p
        for k, (s, j) in enumerate(zip(doc["sentences"], match(gold, predicted))):
            y_true.append(labels.to_id(s["label"], where=f"{path} document {doc['id']}"))
            rows.append(proba_all[offset + j] if j >= 0 else np.full(len(labels), 1.0 / len(labels)))
            registers.append(doc["register"])
            texts.append(doc["text"][s["start"]:s["end"]])
            ids.append(f"{doc['id']}-s{k + 1:02d}")
        offset += len(us)
    if out_path is not None:
        with Path(out_path).open("w", encoding="utf-8") as fh:
            for u, p in zip(flat, proba_all):
                fh.write(json.dumps({"id": u["id"], "start": u["start"], "end": u["end"], "text": u["text"],
                                     "label": labels.to_name(int(p.argmax())), "score": float(p.max())}) + "\n")
    boundaries = {"gold_sentences": n_gold, "predicted_sentences": n_pred, "found": exact,
                  "boundary_recall": exact / max(n_gold, 1), "boundary_precision": exact / max(n_pred, 1)}
    probs = np.vstack(rows) if rows else np.zeros((0, len(labels)))
    return np.asarray(y_true), probs, registers, texts, ids, boundaries
