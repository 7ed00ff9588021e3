"""The rows to classify for one document: its sentences, or the whole record.

Shared by the local engine (`stance.predict`) and the Ray engine (`ray_engine`); it lives
below both so neither imports the other.
"""

from __future__ import annotations

from stance.inference.readers import Document


def units_of(doc: Document, spans: list[tuple[int, int]] | None, min_chars: int = 1,
             max_chars: int = 2000) -> list[dict]:
    """The rows to classify for one document: its sentences (given as spans), or the whole record."""
    if spans is None:
        return [{"id": doc.doc_id, "text": doc.text[:max_chars], **doc.extra}]
    out = []
    for idx, (start, end) in enumerate(spans):
        if end - start < min_chars:
            continue
        out.append({"id": f"{doc.doc_id}:{idx}", "doc_id": doc.doc_id, "sent_idx": idx,
                    "start": start, "end": end, "text": doc.text[start:end][:max_chars], **doc.extra})
    return out
