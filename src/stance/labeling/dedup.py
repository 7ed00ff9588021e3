"""Exact and near-duplicate sentences (pure functions, no model).

Exact duplicates: the same text after lower-casing and collapsing spaces and punctuation.
Near duplicates: word 3-gram Jaccard similarity above a threshold, the measure the corpus
check uses (`stance.data.check`), found through an inverted index of 3-grams so that a
candidate is compared only with the sentences that share a 3-gram with it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

_WORD = re.compile(r"\w+")


def exact_key(text: str) -> str:
    """The text as exact-duplicate detection sees it: lower case, words only."""
    return " ".join(_WORD.findall(text.lower()))


def shingles(text: str, n: int = 3) -> frozenset:
    """Word n-grams of a text (a text shorter than n words is one shingle)."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


class ShingleIndex:
    """Texts added so far, searchable for the most similar one by 3-gram Jaccard."""

    def __init__(self, n: int = 3):
        self.n = n
        self._sets: list[frozenset] = []
        self._postings: dict[tuple, list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._sets)

    def add(self, text: str) -> None:
        s = shingles(text, self.n)
        idx = len(self._sets)
        self._sets.append(s)
        for g in s:
            self._postings[g].append(idx)

    def max_jaccard(self, text: str) -> float:
        """The highest Jaccard similarity between `text` and any text added (0.0 when none)."""
        s = shingles(text, self.n)
        if not s:
            return 0.0
        shared = Counter(i for g in s for i in self._postings.get(g, ()))
        best = 0.0
        for i, inter in shared.items():
            best = max(best, inter / (len(s) + len(self._sets[i]) - inter))
        return best


def first_of_each(texts: list[str]) -> list[int]:
    """Indices of the first occurrence of each exact-duplicate group, in input order."""
    seen: set[str] = set()
    keep = []
    for i, t in enumerate(texts):
        k = exact_key(t)
        if k not in seen:
            seen.add(k)
            keep.append(i)
    return keep


def take_distinct(order, texts: list[str], n: int, index: ShingleIndex, threshold: float = 0.5,
                  frozen: ShingleIndex | None = None) -> list[int]:
    """Walk `order` (indices into `texts`, best first) and keep up to `n` whose 3-gram
    Jaccard with every text already in `index` (and in `frozen`, which is only read) is at
    most `threshold`. Kept texts are added to `index`."""
    kept: list[int] = []
    for i in order:
        if len(kept) >= n:
            break
        if index.max_jaccard(texts[i]) > threshold:
            continue
        if frozen is not None and frozen.max_jaccard(texts[i]) > threshold:
            continue
        index.add(texts[i])
        kept.append(int(i))
    return kept
