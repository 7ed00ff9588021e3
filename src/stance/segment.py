"""Documents -> sentences with character offsets, behind one function (pysbd by default).

pysbd is rule-based and right on abbreviations ("Dr.", "Gov.", "U.S."), at about
0.25 MB/s; keep all splitting behind `split_sentences` so it can be swapped or
moved to worker processes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple


class Sentence(NamedTuple):
    start: int  # offsets into the document text: text[start:end] == sentence
    end: int
    text: str


@lru_cache(maxsize=4)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language, clean=False)


def split_sentences(text: str, language: str = "en") -> list[Sentence]:
    """Split `text` into sentences; each keeps its exact character span in `text`."""
    out: list[Sentence] = []
    cursor = 0
    for piece in _segmenter(language).segment(text):
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, cursor)
        if start < 0:  # the splitter altered the text: fall back to the running position
            start = cursor
        end = start + len(piece)
        out.append(Sentence(start, end, text[start:end]))
        cursor = end
    return out


def split_spans(texts: list[str], language: str = "en") -> list[list[tuple[int, int]]]:
    """(start, end) of every sentence of every text: the picklable job of a splitting worker."""
    return [[(s.start, s.end) for s in split_sentences(t, language)] for t in texts]

