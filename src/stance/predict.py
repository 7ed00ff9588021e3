"""The predict stage: documents -> sentences -> windows -> probabilities -> sharded rows.

Reading, decompressing and sentence splitting run in a prefetch thread; the model
sees windows of at most `window` sentences, sorted by length inside `predict_proba`;
output is written shard by shard so that `resume=true` can pick up an interrupted job.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

from stance.errors import StanceError
from stance.inference.batching import ProbaCache, map_blocks, prefetch
from stance.inference.readers import Document, iter_documents
from stance.inference.shards import ShardedOutput
from stance.outputs import load_classifier
from stance.segment import split_spans
from stance.serving import predictions_frame


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


def _spans_of_block(block: list[tuple]) -> list:
    """Sentence spans for the documents of a block of events (run in a splitting worker)."""
    return [split_spans([x.text])[0] if kind == "doc" else None for kind, x in block]


def events(cfg, encode=None) -> Iterator[tuple]:
    """("error", record) and ("doc", units) in input order (runs in the prefetch thread).

    Sentence splitting runs in `split_workers` processes; `encode` (the classifier's
    tokeniser) attaches token ids to each unit here, off the compute thread."""
    pending: list[dict] = []
    docs = iter_documents(cfg.input, cfg.text_field, cfg.id_field,
                          on_error=lambda where, reason: pending.append({"where": where, "reason": reason}),
                          carry=tuple(cfg.carry), txt_mode=cfg.txt_mode, max_chars=cfg.max_doc_chars,
                          stdin_format=cfg.stdin_format)

    def tagged():
        for doc in docs:
            while pending:
                yield ("error", pending.pop(0))
            yield ("doc", doc)
        while pending:
            yield ("error", pending.pop(0))

    if cfg.segment:
        blocks = map_blocks(_spans_of_block, tagged(), cfg.split_workers)
    else:  # whole records are the units: spans None
        blocks = map_blocks(lambda block: [None] * len(block), tagged(), workers=0)
    for block, spans in blocks:
        units = [units_of(x, sp, cfg.min_chars, cfg.max_chars) if kind == "doc" else None
                 for (kind, x), sp in zip(block, spans)]
        if encode is not None:
            flat = [u for us in units if us for u in us]
            for u, ids in zip(flat, encode([u["text"] for u in flat]) if flat else []):
                u["_ids"] = ids
        for (kind, x), us in zip(block, units):
            yield ("doc", us) if kind == "doc" else ("error", x)


def run(cfg) -> dict:
    if cfg.num_threads:
        import torch

        torch.set_num_threads(cfg.num_threads)
    classifier, model_desc = load_classifier(cfg.model_uri, cfg.tracking)
    from stance.inference.runtime import load_runtime

    classifier = load_runtime(classifier, cfg.runtime, cfg.num_threads, cfg.precision)
    if cfg.runtime != "torch" or cfg.precision != "fp32":
        model_desc += f" [{cfg.runtime}{'' if cfg.precision == 'fp32' else ' ' + cfg.precision}]"
    labels = classifier.labels
    columns = ((["id", "doc_id", "sent_idx", "start", "end"] if cfg.segment else ["id"])
               + list(cfg.carry) + ["text", "label", "score"] + [f"p_{n}" for n in labels.names])
    if cfg.engine == "ray":
        from stance.inference.ray_engine import run_ray

        return _report(cfg, run_ray(cfg, columns, Path(classifier.source_dir), model_desc))
    if cfg.engine != "local":
        raise StanceError(f"engine={cfg.engine!r} is not one of local, ray")
    meta = {"input": str(cfg.input), "model": model_desc, "segment": cfg.segment}
    out = ShardedOutput(cfg.output, columns, meta, resume=cfg.resume)
    cache = ProbaCache(cfg.cache_size)
    stream = prefetch(events(cfg, getattr(classifier, "encode", None)), depth=256)
    skip = out.done["documents"]
    label_counts: Counter = Counter()
    started, n_docs, n_rows, n_bad = time.time(), 0, 0, 0

    from tqdm import tqdm

    bar = tqdm(unit="doc", disable=not (cfg.progress and sys.stderr.isatty()), desc="predict")
    exhausted = False
    while skip:  # resume: the documents of completed shards were written already
        kind, _ = next(stream, ("end", None))
        if kind == "end":
            raise StanceError("cannot resume: the input has fewer documents than the finished shards",
                              where=str(cfg.input), fix="resume=false to start over")
        skip -= kind == "doc"
    while not exhausted:
        writer, path = out.open_shard()
        shard_docs, shard_rows, shard_errors, pending = 0, 0, [], []
        with writer:
            while shard_docs < cfg.shard_docs:
                kind, payload = next(stream, ("end", None))
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
                    shard_rows += _classify(classifier, cache, pending, writer, label_counts, cfg.batch_size)
                    pending = []
                    bar.set_postfix(sent_per_s=f"{(n_rows + shard_rows) / (time.time() - started):.0f}")
            shard_rows += _classify(classifier, cache, pending, writer, label_counts, cfg.batch_size)
        if shard_docs or shard_errors:
            out.commit(path, shard_docs, shard_rows, shard_errors)
        else:
            path.unlink(missing_ok=True)
        n_docs, n_rows, n_bad = n_docs + shard_docs, n_rows + shard_rows, n_bad + len(shard_errors)
    bar.close()

    elapsed = time.time() - started
    totals = out.done
    summary = {"input": str(cfg.input), "output": str(cfg.output), "model": model_desc,
               "documents": totals["documents"], "rows": totals["rows"],
               "bad_records": totals["bad_records"], "labels": dict(label_counts),
               "this_session": {"documents": n_docs, "rows": n_rows, "seconds": round(elapsed, 2),
                                "documents_per_s": round(n_docs / elapsed, 1) if elapsed else None,
                                "sentences_per_s": round(n_rows / elapsed, 1) if elapsed else None,
                                "duplicate_cache_hits": cache.hits}}
    out.finish(summary)
    summary["errors_file"] = str(out.errors_path) if totals["bad_records"] else None
    return _report(cfg, summary)


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


def _classify(classifier, cache, units, writer, label_counts, batch_size) -> int:
    if not units:
        return 0
    ids = [u["_ids"] for u in units] if "_ids" in units[0] else None
    proba = cache.predict(classifier, [u["text"] for u in units], batch_size, ids)
    frame = predictions_frame(proba, classifier.labels)
    label_counts.update(frame["label"])
    rows = ({**u, **p} for u, p in zip(units, frame.to_dict("records")))
    writer.write([{c: row.get(c) for c in writer.columns} for row in rows])
    return len(units)
