"""Masked-language-model pieces for domain adaptation: an unlabelled dump as a stream of
distinct sentences, length-bucketed batches, and BERT-style masking (pure, no model)."""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from stance.labeling.dedup import exact_key


def digest(text: str) -> bytes:
    """8 bytes that stand for a sentence in duplicate checks (case, spacing, punctuation ignored)."""
    return hashlib.blake2b(exact_key(text).encode(), digest_size=8).digest()


def sentences(documents: Iterable, split: Callable[[str], list[tuple[int, int]]], min_words: int = 5,
              skip: set[bytes] | None = None, seen: set[bytes] | None = None) -> Iterator[str]:
    """The distinct sentences of a document stream, in order.

    `split(text)` gives sentence spans; sentences under `min_words` words, exact duplicates of
    an earlier one (`seen`, 8-byte digests, filled here) and those in `skip` are passed over."""
    seen = set() if seen is None else seen
    for doc in documents:
        for start, end in split(doc.text):
            text = doc.text[start:end].strip()
            if len(text.split()) < min_words:
                continue
            key = digest(text)
            if key in seen or (skip and key in skip):
                continue
            seen.add(key)
            yield text


def length_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Indices grouped into batches of similar length (little padding), batches in random order."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches = [order[i:i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def pad(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, attention mask) padded to the longest sequence."""
    width = max(len(x) for x in ids)
    out = np.full((len(ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for i, x in enumerate(ids):
        out[i, :len(x)] = x
        mask[i, :len(x)] = 1
    return out, mask


def mask_tokens(ids: np.ndarray, maskable: np.ndarray, mask_id: int, vocab_size: int,
                probability: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """BERT's masking: each maskable token is chosen with `probability`; of the chosen, 80%
    become [MASK], 10% a random token, 10% stay. Returns (inputs, labels), labels -100 where
    nothing is predicted. At least one token per row is chosen when the row has any."""
    chosen = (rng.random(ids.shape) < probability) & maskable
    for row in np.flatnonzero(~chosen.any(axis=1) & maskable.any(axis=1)):
        chosen[row, rng.choice(np.flatnonzero(maskable[row]))] = True
    labels = np.where(chosen, ids, -100)
    inputs = ids.copy()
    roll = rng.random(ids.shape)
    inputs[chosen & (roll < 0.8)] = mask_id
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = rng.integers(0, vocab_size, size=int(swap.sum()))
    return inputs, labels
