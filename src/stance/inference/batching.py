"""A duplicate cache and a prefetching thread for batch inference.

The model already sorts each window by length (padding ~1.0x); this module keeps
memory bounded and avoids classifying the same boilerplate sentence twice.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from typing import Iterator, TypeVar

import numpy as np

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Run `items` (reading, decompressing, sentence splitting) in a background thread,
    at most `depth` ahead, so the model does not wait on I/O. Exceptions are re-raised here."""
    q: queue.Queue = queue.Queue(maxsize=depth)

    def work():
        try:
            for item in items:
                q.put(item)
        except BaseException as exc:  # hand it to the consumer
            q.put(exc)
        q.put(_DONE)

    threading.Thread(target=work, daemon=True, name="stance-prefetch").start()
    while (item := q.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        yield item


class ProbaCache:
    """An LRU map from sentence text to its probabilities (dumps repeat boilerplate)."""

    def __init__(self, max_items: int = 100_000):
        self.max_items = max_items
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0

    def predict(self, classifier, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), len(classifier.labels)), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            if self.max_items and t in self._data:
                out[i] = self._data[t]
                self._data.move_to_end(t)
                self.hits += 1
            else:
                missing.setdefault(t, []).append(i)
        if missing:
            unique = list(missing)
            proba = classifier.predict_proba(unique, batch_size=batch_size)
            for t, p in zip(unique, proba):
                out[missing[t]] = p
                self.hits += len(missing[t]) - 1
                if self.max_items:
                    self._data[t] = p
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)
        return out
