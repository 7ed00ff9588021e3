"""The rows to classify for one document: its sentences, or the whole record.

Shared by the local engine (`stance.predict`), the Ray engine (`ray_engine`) and the
document evaluation; it lives below them so none imports another.
"""

from __future__ import annotations

from stance.actors import holder, year_of
from stance.inference.readers import Document


def units_of(doc: Document, spans: list[tuple[int, int]] | None, min_chars: int = 1,
             max_chars: int = 2000, gazetteer=None) -> list[dict]:
    """The rows to classify for one document: its sentences (given as spans), or the whole record.

    With a gazetteer (`actors=true`) each row gets its stance holder as `actor`, aliases shared
    across eras resolved by the document's carried `date`."""
    if spans is None:
        out = [{"id": doc.doc_id, "text": doc.text[:max_chars], **doc.extra}]
    else:
        out = []
        for idx, (start, end) in enumerate(spans):
            if end - start < min_chars:
                continue
            out.append({"id": f"{doc.doc_id}:{idx}", "doc_id": doc.doc_id, "sent_idx": idx,
                        "start": start, "end": end, "text": doc.text[start:end][:max_chars], **doc.extra})
    if gazetteer is not None:
        year = year_of(doc.extra.get("date"))
        for unit in out:
            unit["actor"] = holder(unit["text"], gazetteer, year)
    return out
