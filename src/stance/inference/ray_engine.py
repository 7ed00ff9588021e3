"""engine=ray: the predict stage under Ray Data, on a local Ray or on a cluster.

    input files -> read (one task per file, our readers, streamed in blocks)
                -> split sentences (tasks) -> classify (a pool of actors, each loads the
                model once) -> Parquet files in the output folder

Rows are the same as the local engine's (ids, offsets, carried columns, label, score,
probabilities); their order is not, so every row carries `doc_id` and `sent_idx`.
Bad records go to `<output>.errors.jsonl` as with the local engine.

When to use it: a cluster (`ray.address=ray://head:10001` or `auto`), or several GPUs
(`ray.gpus_per_actor=1`). On one small machine the local engine is faster and lighter:
Ray costs a few seconds to start, ~2.5 GB of memory and 10-30% throughput on 2 cores.
On a cluster the model folder, the inputs and the output must be on storage every node
sees (a shared file system), and `stance` must be installed on the workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from stance.errors import StanceError
from stance.inference.readers import Document, expand_inputs, iter_documents
from stance.inference.units import units_of

READ_BLOCK = 256  # documents per block handed from a read task to the splitters


def _meta_dir(output: Path) -> Path:
    return output.with_name(output.name + ".ray-meta")


def _read_files(batch: dict, opts: dict):
    """Generator: documents of the input files in `batch["path"]`, in blocks. Each file's bad
    records and document count go to the meta folder (shared storage on a cluster)."""
    for path in batch["path"]:
        errors: list[dict] = []
        n_docs, rows = 0, []
        for doc in iter_documents(path, opts["text_field"], opts["id_field"],
                                  # consumed within this iteration, so `errors` is this file's list
                                  on_error=lambda where, reason: errors.append({"where": where, "reason": reason}),  # noqa: B023
                                  carry=tuple(opts["carry"]), txt_mode=opts["txt_mode"],
                                  max_chars=opts["max_doc_chars"], max_record_bytes=opts["max_record_bytes"]):
            n_docs += 1
            rows.append({"doc_id": doc.doc_id, "text": doc.text, "where": doc.where,
                         **{f"carry__{c}": doc.extra.get(c) for c in opts["carry"]}})
            if len(rows) >= READ_BLOCK:
                yield pd.DataFrame(rows)
                rows = []
        if rows:
            yield pd.DataFrame(rows)
        meta = Path(opts["meta_dir"]) / (hashlib.sha1(str(path).encode()).hexdigest()[:16] + ".json")
        meta.write_text(json.dumps({"path": str(path), "documents": n_docs, "errors": errors}))


def _split(batch: pd.DataFrame, opts: dict) -> pd.DataFrame:
    """Documents -> the rows to classify (sentences, or whole records with segment=false)."""
    from stance.segment import split_spans

    out = []
    for rec in batch.to_dict("records"):
        doc = Document(rec["doc_id"], rec["text"], rec["where"],
                       {c: rec[f"carry__{c}"] for c in opts["carry"]})
        spans = split_spans([doc.text])[0] if opts["segment"] else None
        out.extend(units_of(doc, spans, opts["min_chars"], opts["max_chars"], opts.get("gazetteer")))
    return pd.DataFrame(out, columns=opts["unit_columns"])


class _Predictor:
    """One per actor: loads the model once, classifies blocks of sentence rows."""

    def __init__(self, model_dir: str, runtime: str, num_threads: int | None, batch_size: int,
                 cache_size: int, precision: str = "fp32", min_score: float = 0.0):
        from stance.inference.batching import ProbaCache
        from stance.inference.runtime import load_replica

        self.classifier = load_replica(model_dir, runtime, num_threads, precision)
        self.cache = ProbaCache(cache_size)
        self.batch_size, self.min_score = batch_size, min_score

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        from stance.serving import predictions_frame

        texts = batch["text"].tolist()
        proba = self.cache.predict(self.classifier, texts, self.batch_size)
        frame = predictions_frame(proba, self.classifier.labels, self.min_score)
        return pd.concat([batch.reset_index(drop=True), frame.reset_index(drop=True)], axis=1)


def run_ray(cfg, columns: list[str], model_dir: Path, model_desc: str, gazetteer=None) -> dict:
    """Run the predict stage under Ray Data; write Parquet files to the output folder."""
    try:
        import ray
    except ImportError:
        raise StanceError("engine=ray needs Ray", fix="pip install 'stance[ray]'") from None
    if cfg.input == "-":
        raise StanceError("engine=ray reads files, not stdin", where="input=-",
                          fix="write the input to a file (or shared storage) first, or use engine=local")
    output = Path(cfg.output).absolute()
    if output.suffix:
        raise StanceError("engine=ray writes a folder of Parquet files", where=str(output),
                          fix="give output=<folder> (no extension)")
    if cfg.resume:
        raise StanceError("resume=true is for engine=local", fix="run engine=ray again into a new folder")
    if output.exists() and any(output.iterdir()):
        raise StanceError("output folder exists and is not empty", where=str(output),
                          fix="give a new output folder, or remove this one")
    files = [str(Path(f).absolute()) for f in expand_inputs(str(cfg.input))]
    meta_dir, tmp_out = _meta_dir(output), output.with_name(f".{output.name}.tmp-ray")
    for d in (meta_dir, tmp_out):
        shutil.rmtree(d, ignore_errors=True)
    meta_dir.mkdir(parents=True)

    rc = cfg.ray
    if not ray.is_initialized():
        init = {"address": rc.address} if rc.address else {"num_cpus": rc.num_cpus, "include_dashboard": False}
        ray.init(**init, log_to_driver=rc.log_to_driver, ignore_reinit_error=True)
    ray.data.DataContext.get_current().enable_progress_bars = bool(cfg.progress and sys.stderr.isatty())
    opts = {"text_field": cfg.text_field, "id_field": cfg.id_field, "carry": list(cfg.carry),
            "txt_mode": cfg.txt_mode, "max_doc_chars": cfg.max_doc_chars,
            "max_record_bytes": cfg.max_record_bytes, "meta_dir": str(meta_dir),
            "segment": cfg.segment, "min_chars": cfg.min_chars, "max_chars": cfg.max_chars,
            "unit_columns": [c for c in columns if c not in ("label", "score") and not c.startswith("p_")],
            "gazetteer": gazetteer}
    started = time.time()
    ds = ray.data.from_items([{"path": f} for f in files], override_num_blocks=len(files))
    ds = ds.map_batches(_read_files, batch_size=1, fn_kwargs={"opts": opts}, batch_format="numpy")
    ds = ds.map_batches(_split, batch_format="pandas", fn_kwargs={"opts": opts})
    ds = ds.map_batches(_Predictor, batch_format="pandas", batch_size=rc.batch_size,
                        compute=ray.data.ActorPoolStrategy(size=rc.num_actors),
                        num_cpus=rc.cpus_per_actor, num_gpus=rc.gpus_per_actor or None,
                        fn_constructor_kwargs={"model_dir": str(model_dir), "runtime": cfg.runtime,
                                               "num_threads": cfg.num_threads or max(1, int(rc.cpus_per_actor)),
                                               "batch_size": cfg.batch_size, "cache_size": cfg.cache_size,
                                               "precision": cfg.precision, "min_score": cfg.min_score})
    ds.select_columns(columns).write_parquet(str(tmp_out))
    elapsed = time.time() - started

    documents, errors = 0, []
    for meta in sorted(meta_dir.glob("*.json")):
        info = json.loads(meta.read_text())
        documents += info["documents"]
        errors.extend(info["errors"])
    errors_path = output.with_name(output.name + ".errors.jsonl")
    if errors:
        errors_path.write_text("".join(json.dumps(e) + "\n" for e in errors))
    import pyarrow.dataset as pads

    labels_col = pads.dataset(str(tmp_out), format="parquet").to_table(columns=["label"]).column("label")
    label_counts = Counter(labels_col.to_pylist())
    if output.exists():
        output.rmdir()  # empty (checked above)
    os.replace(tmp_out, output)
    shutil.rmtree(meta_dir, ignore_errors=True)
    rows = sum(label_counts.values())
    summary = {"input": str(cfg.input), "output": str(output), "model": model_desc, "engine": "ray",
               "runtime": cfg.runtime, "precision": cfg.precision,  # auto: each actor decides on its hardware
               "documents": documents, "rows": rows, "bad_records": len(errors), "labels": dict(label_counts),
               "this_session": {"documents": documents, "rows": rows, "seconds": round(elapsed, 2),
                                "documents_per_s": round(documents / elapsed, 1) if elapsed else None,
                                "sentences_per_s": round(rows / elapsed, 1) if elapsed else None},
               "errors_file": str(errors_path) if errors else None}
    return summary
