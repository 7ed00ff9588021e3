from stance.segment import split_sentences


def test_offsets_point_into_the_document():
    text = ("Dr. Lee of the U.S. State Department said on Monday that talks would resume. "
            "Officials in Gov. Smith's office declined to comment.  A third sentence follows!")
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "Dr. Lee of the U.S. State Department said on Monday that talks would resume.",
        "Officials in Gov. Smith's office declined to comment.",
        "A third sentence follows!",
    ]
    for s in sents:
        assert text[s.start:s.end] == s.text


def test_empty_text_gives_no_sentences():
    assert split_sentences("   ") == []


def _pysbd_spans(text: str) -> list[tuple[int, int]]:
    """Plain pysbd (Segmenter.segment), mapped to spans the way split_sentences does."""
    import pysbd

    out, cursor = [], 0
    for piece in pysbd.Segmenter(language="en", clean=False).segment(text):
        piece = piece.strip()
        if piece:
            start = text.find(piece, cursor)
            start = cursor if start < 0 else start
            out.append((start, start + len(piece)))
            cursor = start + len(piece)
    return out


def test_the_fast_path_splits_exactly_like_plain_pysbd():
    """Documents built from our corpus (abbreviations, cable numbering, quotes, line breaks)."""
    import json
    import random
    from pathlib import Path

    rows = (Path(__file__).resolve().parents[1] / "data" / "test.jsonl").read_text().splitlines()
    sentences = [json.loads(r)["text"] for r in rows]
    rng = random.Random(0)
    docs = [sep.join(rng.sample(sentences, rng.randint(3, 30))) for sep in (" ", "\n", "\n\n") for _ in range(25)]
    long_cable = "".join(f"{i % 12 + 1}. ({'CS'[i % 2]}) {t}\n\n" for i, t in enumerate(sentences[:300]))
    docs += [long_cable, " ".join(sentences[:400]),  # numbered paragraphs repeat: the list pass
             "2. (C) Embassy met Gen. Ahmed on Jan. 5. 3. (S) He said No. 4 would stay.",
             "The U.S. and U.K. said so. Mr. Ito, of Tokyo Inc., agreed. Is it? It is. Me. No."]
    for doc in docs:
        assert [(s.start, s.end) for s in split_sentences(doc)] == _pysbd_spans(doc)
        assert split_sentences(doc) == split_sentences(doc, fast=False)
