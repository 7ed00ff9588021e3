"""A duplicate cache and a prefetching thread for batch inference.

The model already sorts each window by length (padding ~1.0x); this module keeps
memory bounded and avoids classifying the same boilerplate sentence twice.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict, deque
from itertools import islice
from typing import Callable, Iterator, Sequence, TypeVar

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


def process_pool(workers: int, initializer: Callable | None = None, initargs: tuple = ()):
    """A pool of `workers` spawned processes (spawn, not fork: the parent holds torch
    threads and the prefetch thread), each running `initializer(*initargs)` once. The
    workers ignore SIGINT/SIGTERM: the parent stops the job cleanly (stance.inference.stop)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                               initializer=_start_worker, initargs=(initializer, initargs))


def _start_worker(initializer: Callable | None, initargs: tuple) -> None:
    from stance.inference.stop import ignore_in_worker

    ignore_in_worker()
    if initializer is not None:
        initializer(*initargs)


def map_blocks(fn: Callable[[list], list], items: Iterator[T], workers: int, block: int = 16,
               pool=None) -> Iterator[tuple[list[T], list]]:
    """(block of items, fn(block)) in input order, fn run in `workers` processes
    (`pool`, or a new one from `process_pool`).

    At most 2 x workers blocks are in flight, so memory stays bounded whatever the input
    size. `fn` must be picklable (a module-level function); workers=0 runs it here."""
    items = iter(items)
    if workers <= 0:
        while chunk := list(islice(items, block)):
            yield chunk, fn(chunk)
        return
    with pool or process_pool(workers) as pool:
        inflight: deque = deque()
        while True:
            while len(inflight) < 2 * workers and (chunk := list(islice(items, block))):
                inflight.append((chunk, pool.submit(fn, chunk)))
            if not inflight:
                return
            chunk, future = inflight.popleft()
            yield chunk, future.result()


class ProbaCache:
    """An LRU map from sentence text to its probabilities (dumps repeat boilerplate)."""

    def __init__(self, max_items: int = 100_000):
        self.max_items = max_items
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0

    def predict(self, classifier, texts: list[str], batch_size: int, ids: list | None = None) -> np.ndarray:
        """Probabilities for `texts`; `ids` (token ids from `classifier.encode`) skip tokenising."""
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
            if ids is not None:
                proba = classifier.predict_encoded([ids[missing[t][0]] for t in unique], batch_size=batch_size)
            else:
                proba = classifier.predict_proba(unique, batch_size=batch_size)
            for t, p in zip(unique, proba):
                out[missing[t]] = p
                self.hits += len(missing[t]) - 1
                if self.max_items:
                    self._data[t] = p
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)
        return out


def token_batches(ids: Sequence[Sequence[int]], batch_size: int, pad_id: int = 0
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(positions, input_ids, attention_mask) batches of texts with similar token counts.

    Sorting by token count (not characters) keeps padding near 1.0x; positions say where
    each row goes in the caller's order, so order is restored on output."""
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        width = int(lengths[idx].max()) if len(idx) else 0
        input_ids = np.full((len(idx), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            input_ids[row, :lengths[i]] = ids[i]
            mask[row, :lengths[i]] = 1
        yield idx, input_ids, mask
