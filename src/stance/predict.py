"""The predict stage: documents -> sentences -> windows -> probabilities -> sharded rows.

Reading, decompressing and sentence splitting run in a prefetch thread; the model
sees windows of at most `window` sentences, sorted by length inside `predict_proba`;
output is written shard by shard so that `resume=true` can pick up an interrupted job.
One job at a time writes an output (a lock); SIGTERM or Ctrl-C closes the current shard
and stops, and so does a full disk, each with a one-line hint to resume.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

from stance.actors import load_gazetteer
from stance.errors import StanceError
from stance.inference.batching import ProbaCache, map_blocks, prefetch, process_pool
from stance.inference.lock import OutputLock
from stance.inference.readers import iter_documents
from stance.inference.shards import ShardedOutput
from stance.inference.stop import StopRequest
from stance.inference.units import units_of
from stance.outputs import load_classifier
from stance.segment import split_spans
from stance.serving import predictions_frame


def _spans_of_block(block: list[tuple]) -> list:
    """Sentence spans for the documents of a block of events (run in a splitting worker)."""
    return [split_spans([x.text])[0] if kind == "doc" else None for kind, x in block]


def _units_of_block(block: list[tuple], spans: list, min_chars: int, max_chars: int, gazetteer=None) -> list:
    """Units per event of a block: a list for each document, None for each bad record."""
    return [units_of(x, sp, min_chars, max_chars, gazetteer) if kind == "doc" else None
            for (kind, x), sp in zip(block, spans)]


_WORKER: dict = {}


def _init_worker(model_dir: str, runtime: str, precision: str, threads: int, cache_size: int) -> None:
    """Load the model once in an inference worker process (`workers=N`)."""
    from stance.inference.runtime import load_replica

    _WORKER["classifier"] = load_replica(model_dir, runtime, threads, precision)
    _WORKER["cache"] = ProbaCache(cache_size)


def _worker_ready(_: int) -> int:
    time.sleep(0.2)  # hold the task so that every worker of the pool starts and loads the model
    return os.getpid()


def _classify_docs(block: list[tuple], opts: dict) -> list:
    """In an inference worker: split, tokenise and classify a block of events; rows per document."""
    spans = _spans_of_block(block) if opts["segment"] else [None] * len(block)
    units = _units_of_block(block, spans, opts["min_chars"], opts["max_chars"], opts.get("gazetteer"))
    flat = [u for us in units if us for u in us]
    rows = iter(_with_proba(_WORKER["classifier"], _WORKER["cache"], flat, opts["batch_size"],
                            opts["min_score"]))
    return [[next(rows) for _ in us] if us is not None else None for us in units]


def events(cfg, encode=None, skip: int = 0, pool=None, gazetteer=None) -> Iterator[tuple]:
    """("error", record) and ("doc", units) in input order (runs in the prefetch thread).

    The first `skip` documents (finished shards of a resumed job) are passed over before any
    work. Sentence splitting runs here, or in `split_workers` processes; `encode` (the classifier's
    tokeniser) attaches token ids to each unit here, off the compute thread. With `pool`
    (`workers=N`), splitting, tokenising and classifying all run in the pool's processes
    and the units come back with their probabilities. With `gazetteer`, units get their
    stance holder (`actor`) here too."""
    pending: list[dict] = []
    docs = iter_documents(cfg.input, cfg.text_field, cfg.id_field,
                          on_error=lambda where, reason: pending.append({"where": where, "reason": reason}),
                          carry=tuple(cfg.carry), txt_mode=cfg.txt_mode, max_chars=cfg.max_doc_chars,
                          max_record_bytes=cfg.max_record_bytes,
                          stdin_format=cfg.stdin_format)

    def tagged():
        left = skip
        for doc in docs:
            if left:  # resume: written already, with the bad records before it
                pending.clear()
                left -= 1
                continue
            while pending:
                yield ("error", pending.pop(0))
            yield ("doc", doc)
        if left:
            raise StanceError("cannot resume: the input has fewer documents than the finished shards",
                              where=str(cfg.input), fix="resume=false to start over")
        while pending:
            yield ("error", pending.pop(0))

    if pool is not None:
        opts = {k: cfg[k] for k in ("segment", "min_chars", "max_chars", "batch_size", "min_score")}
        opts["gazetteer"] = gazetteer
        for block, rows in map_blocks(partial(_classify_docs, opts=opts), tagged(), cfg.workers, pool=pool):
            for (kind, x), rs in zip(block, rows):
                yield ("doc", rs) if kind == "doc" else ("error", x)
        return
    if cfg.segment:
        blocks = map_blocks(_spans_of_block, tagged(), cfg.split_workers)
    else:  # whole records are the units: spans None
        blocks = map_blocks(lambda block: [None] * len(block), tagged(), workers=0)
    for block, spans in blocks:
        units = _units_of_block(block, spans, cfg.min_chars, cfg.max_chars, gazetteer)
        if encode is not None:
            flat = [u for us in units if us for u in us]
            for u, ids in zip(flat, encode([u["text"] for u in flat]) if flat else []):
                u["_ids"] = ids
        for (kind, x), us in zip(block, units):
            yield ("doc", us) if kind == "doc" else ("error", x)


def run(cfg) -> dict:
    if not 0.0 <= cfg.min_score <= 1.0:
        raise StanceError(f"min_score={cfg.min_score} must be between 0 and 1",
                          fix="e.g. min_score=0.6: sentences whose calibrated top probability is lower get `uncertain`")
    with _disk_full_hint(None), OutputLock(cfg.output):  # before the model loads: a second job is refused at once
        return _run(cfg)


def _run(cfg) -> dict:
    if cfg.num_threads:
        import torch

        torch.set_num_threads(cfg.num_threads)
    classifier, model_desc = load_classifier(cfg.model_uri, cfg.tracking)
    from stance.inference.runtime import load_runtime, resolve_precision, resolve_runtime

    runtime, runtime_why = resolve_runtime(classifier, cfg.runtime, cfg.precision)  # auto -> onnx or torch here
    precision = resolve_precision(classifier, runtime, cfg.precision)  # auto -> bf16 or fp32 here
    classifier = load_runtime(classifier, runtime, cfg.num_threads, precision)
    if runtime != "torch" or precision != "fp32":
        model_desc += f" [{runtime}{'' if precision == 'fp32' else ' ' + precision}]"
    labels = classifier.labels
    temperature = getattr(classifier, "temperature", None)  # calibration the model folder carries
    gazetteer = load_gazetteer(cfg.gazetteer) if cfg.actors else None
    columns = ((["id", "doc_id", "sent_idx", "start", "end"] if cfg.segment else ["id"])
               + [c for c in cfg.carry if c != "actor"] + (["actor"] if cfg.actors else [])
               + ["text", "label", "score"] + [f"p_{n}" for n in labels.names])
    if cfg.engine == "ray":
        from stance.inference.ray_engine import run_ray

        return _report(cfg, run_ray(cfg, columns, Path(classifier.source_dir), model_desc, gazetteer))
    if cfg.engine != "local":
        raise StanceError(f"engine={cfg.engine!r} is not one of local, ray")
    meta = {"input": str(cfg.input), "model": model_desc, "segment": cfg.segment}
    out = ShardedOutput(cfg.output, columns, meta, resume=cfg.resume)
    cache = pool = None
    classify: Callable[[list], list]
    if cfg.workers > 0:  # model replicas in processes: this process reads and writes
        pool = process_pool(cfg.workers, _init_worker, (
            str(classifier.source_dir), runtime, precision, cfg.num_threads or 1, cfg.cache_size))
        list(pool.map(_worker_ready, range(cfg.workers)))  # the clock starts once the models are loaded
        classifier, classify = None, list  # units come back classified; free this process's copy
    else:
        cache = ProbaCache(cfg.cache_size)
        classify = partial(_with_proba, classifier, cache, batch_size=cfg.batch_size,
                           min_score=cfg.min_score)
    stream = prefetch(events(cfg, getattr(classifier, "encode", None), skip=out.done["documents"], pool=pool,
                             gazetteer=gazetteer), depth=256)
    label_counts: Counter = Counter()
    started, n_docs, n_rows, n_bad = time.time(), 0, 0, 0

    from tqdm import tqdm

    bar = tqdm(unit="doc", disable=not (cfg.progress and sys.stderr.isatty()), desc="predict")
    exhausted = False
    with StopRequest("closing the current shard, then stopping") as stop, _disk_full_hint(out):
        while not (exhausted or stop.requested):
            n_docs, n_rows, n_bad, exhausted = _write_shard(
                cfg, out, stream, classify, label_counts, bar, stop, started, (n_docs, n_rows, n_bad))
    bar.close()
    if stop.requested:
        raise StanceError(f"stopped by {stop.name}: {out.kept()} are kept", where=str(out.parts),
                          fix="run the same command with resume=true to finish", exit_code=stop.exit_code)

    elapsed = time.time() - started
    totals = out.done
    summary = {"input": str(cfg.input), "output": str(cfg.output), "model": model_desc,
               "runtime": runtime, "runtime_choice": runtime_why, "precision": precision,
               "temperature": temperature, "min_score": cfg.min_score,
               "documents": totals["documents"], "rows": totals["rows"],
               "bad_records": totals["bad_records"], "labels": dict(label_counts),
               "this_session": {"documents": n_docs, "rows": n_rows, "seconds": round(elapsed, 2),
                                "documents_per_s": round(n_docs / elapsed, 1) if elapsed else None,
                                "sentences_per_s": round(n_rows / elapsed, 1) if elapsed else None,
                                "duplicate_cache_hits": cache.hits if cache else None}}
    with _disk_full_hint(out):
        out.finish(summary)
        summary["errors_file"] = str(out.errors_path) if totals["bad_records"] else None
        return _report(cfg, summary)


@contextlib.contextmanager
def _disk_full_hint(out: ShardedOutput | None):
    """A full disk (or quota) while writing ends the job with one line: what is kept, what to do."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        kept = f": {out.kept()} are kept in {out.parts}" if out is not None else ""
        raise StanceError(f"no space left on the device{kept}", where=exc.filename or None,
                          fix="free some space (or quota), then run the same command with resume=true") from None


def _write_shard(cfg, out: ShardedOutput, stream, classify, label_counts: Counter, bar, stop: StopRequest,
                 started: float, totals: tuple[int, int, int]) -> tuple[int, int, int, bool]:
    """Classify and write one shard (fewer documents when a stop is requested); returns the
    session's (documents, rows, bad records) and whether the input is exhausted."""
    n_docs, n_rows, n_bad = totals
    exhausted = False
    writer, path = out.open_shard()
    shard_docs, shard_rows = 0, 0
    shard_errors: list = []
    pending: list = []
    with writer:
        while shard_docs < cfg.shard_docs and not stop.requested:
            kind, payload = next(stream, ("end", []))
            if kind == "end":
                exhausted = True
                break
            if kind == "error":
                shard_errors.append(payload)
                continue
            shard_docs += 1
            pending.extend(payload)
            bar.update(1)
            if len(pending) >= cfg.window:
                shard_rows += _write(classify(pending), writer, label_counts)
                pending = []
                bar.set_postfix(sent_per_s=f"{(n_rows + shard_rows) / (time.time() - started):.0f}")
        shard_rows += _write(classify(pending), writer, label_counts)
    if shard_docs or shard_errors:
        out.commit(path, shard_docs, shard_rows, shard_errors)
    else:
        path.unlink(missing_ok=True)
    return n_docs + shard_docs, n_rows + shard_rows, n_bad + len(shard_errors), exhausted


def _report(cfg, summary: dict) -> dict:
    """Write the summary JSON next to the output, print it, fail above max_error_rate."""
    Path(str(cfg.output) + ".summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{summary['documents']} documents -> {summary['rows']} rows in {cfg.output} "
          f"({summary['this_session']['sentences_per_s']} sentences/s); model {summary['model']}",
          file=sys.stderr)
    bad, total = summary["bad_records"], summary["documents"] + summary["bad_records"]
    if bad:
        print(f"{bad} bad records listed in {summary['errors_file']}", file=sys.stderr)
    if total and bad / total > cfg.max_error_rate:
        raise StanceError(f"{bad} of {total} records were bad ({bad / total:.1%}), "
                          f"above max_error_rate={cfg.max_error_rate}",
                          where=str(summary["errors_file"]), fix="fix the input or raise max_error_rate")
    return summary


def _with_proba(classifier, cache, units: list[dict], batch_size: int,
                min_score: float = 0.0) -> list[dict]:
    """The units with label (or `uncertain` below min_score), score and one probability
    per label added."""
    if not units:
        return []
    ids = [u["_ids"] for u in units] if "_ids" in units[0] else None
    proba = cache.predict(classifier, [u["text"] for u in units], batch_size, ids)
    frame = predictions_frame(proba, classifier.labels, min_score)
    return [{**u, **p} for u, p in zip(units, frame.to_dict("records"))]


def _write(rows: list[dict], writer, label_counts: Counter) -> int:
    if rows:
        label_counts.update(r["label"] for r in rows)
        writer.write([{c: r.get(c) for c in writer.columns} for r in rows])
    return len(rows)
