"""Documents -> sentences with character offsets, behind one function (pysbd by default).

pysbd is rule-based and right on abbreviations ("Dr.", "Gov.", "U.S.") and numbered cable
paragraphs; keep all splitting behind `split_sentences` so it can be swapped or moved to
worker processes.

Speed. pysbd 0.3.4 spends most of its time in two places that do not change its answer:
- `Segmenter.segment` finds every sentence again with a regex built from that sentence and
  searched from the start of the document (a compile per sentence, quadratic in document
  length). We call its processor and find the spans with `str.find` from a running cursor.
- For each of its ~230 abbreviations that occurs anywhere in a line as a substring ("is",
  "me", "no", "may", "man", ...) it scans the line once per occurrence and rewrites the whole
  line each time. Every rewrite only turns "<abbr>." into "<abbr>∯", so (1) an abbreviation
  with no "<abbr>." in the line can change nothing, and (2) repeating the rewrite for the same
  abbreviation spelling and branch finds nothing new. `_FastAbbreviations` skips exactly those
  calls.
- The numbered-list pass rewrites the whole document once per list number found, so the same
  number ("2." in many paragraphs) is rewritten again and again (quadratic in document length).
  Each rewrite only turns "<n>." into "<n>♨" (or "<n>)" into "<n>☝)"), so a repeat finds
  nothing: `_FastListItems` does each number once per scan.
tests/test_segment.py checks the output against plain pysbd on corpus documents.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple


class Sentence(NamedTuple):
    start: int  # offsets into the document text: text[start:end] == sentence
    end: int
    text: str


def _fast_language(lang):
    """`lang` (a pysbd language class) with abbreviation and list passes that skip no-op rewrites."""
    from pysbd.lists_item_replacer import ListItemReplacer
    from pysbd.processor import Processor
    from pysbd.utils import Text

    class _FastAbbreviations(lang.AbbreviationReplacer):
        def search_for_abbreviations_in_string(self, text):
            lowered = text.lower()
            present = [a for a in self.lang.Abbreviation.ABBREVIATIONS if a.strip() + "." in lowered]
            full = self.lang
            abbreviation = type("Abbreviation", (full.Abbreviation,), {"ABBREVIATIONS": present})
            self.lang = type(full.__name__, (full,), {"Abbreviation": abbreviation})
            self._applied = set()
            try:
                return super().search_for_abbreviations_in_string(text)
            finally:
                self.lang = full

        def scan_for_replacements(self, txt, am, ind, char_array):
            char = char_array[ind] if ind < len(char_array) else ""
            key = (am.strip(), str(char).isupper())  # all that decides which rewrite is made
            if key in self._applied:
                return txt
            self._applied.add(key)
            return super().scan_for_replacements(txt, am, ind, char_array)

    class _FastListItems(ListItemReplacer):
        def scan_lists(self, regex1, regex2, replacement, strip=False):
            self._applied = set()
            return super().scan_lists(regex1, regex2, replacement, strip)

        def substitute_found_list_items(self, regex, each, strip, replacement):
            if each in self._applied:
                return None
            self._applied.add(each)
            return super().substitute_found_list_items(regex, each, strip, replacement)

    class _FastProcessor(Processor):
        def process(self):
            """pysbd's `Processor.process`, step for step, with `_FastListItems` for the list pass
            (pysbd's own Slovak module overrides `process` the same way for its list rules)."""
            if not self.text:
                return self.text
            self.text = _FastListItems(self.text.replace("\n", "\r")).add_line_break()
            self.replace_abbreviations()
            self.replace_numbers()
            self.replace_continuous_punctuation()
            self.replace_periods_before_numeric_references()
            self.text = Text(self.text).apply(self.lang.Abbreviation.WithMultiplePeriodsAndEmailRule,
                                              self.lang.GeoLocationRule, self.lang.FileFormatRule)
            return self.split_into_segments()

    members = {"AbbreviationReplacer": _FastAbbreviations}
    if not hasattr(lang, "Processor"):  # languages with their own Processor keep it
        members["Processor"] = _FastProcessor
    return type(lang.__name__, (lang,), members)


@lru_cache(maxsize=4)
def _segmenter(language: str, fast: bool = True):
    import pysbd

    segmenter = pysbd.Segmenter(language=language, clean=False)
    if fast:
        segmenter.language_module = _fast_language(segmenter.language_module)
    return segmenter


def split_sentences(text: str, language: str = "en", fast: bool = True) -> list[Sentence]:
    """Split `text` into sentences; each keeps its exact character span in `text`.

    `fast=False` runs pysbd's own abbreviation and list passes (same sentences, 3-5x slower)."""
    out: list[Sentence] = []
    if not text:
        return out
    cursor = 0
    for piece in _segmenter(language, fast).processor(text).process():
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
