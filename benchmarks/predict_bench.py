"""Batch-inference benchmark: our predict stage against a plain `transformers.pipeline` loop.

    python benchmarks/predict_bench.py [--model models/latest] [--docs 300] [--threads 2]

On a dump generated from the project's own sentences (documents of 5-40 sentences) it
reports sentences/s for
  (a) transformers.pipeline("text-classification", batch_size=32) over the same sentences,
  (b) scripts/predict.py end to end with runtime=torch and its defaults (precision=auto:
      bf16 autocast on CPUs with AVX512-BF16 or AMX, fp32 elsewhere; the table says which),
  (b') the same with precision=fp32 (what (b) is on CPUs without native bf16),
  (c) scripts/predict.py end to end with runtime=onnx (int8; exported first if missing),
and, with --workers, (b) and (c) again with `workers=N` model processes of 1 thread each
(N = --threads); the ratios to (a), the label agreement of each with fp32 torch (b'), and
each run's peak RSS.
Rates of (b) and (c) count the whole job after model load: reading, sentence splitting,
inference and writing. Writes benchmarks/results/predict_bench.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def make_dump(path: Path, n_docs: int, seed: int = 0) -> int:
    """A JSONL dump of `n_docs` documents of 5-40 corpus sentences each.

    Sentences are drawn without replacement (a sentence repeats only once the whole
    corpus is used up), so the duplicate cache of (b) and (c) does not flatter them."""
    sentences = [json.loads(l)["text"] for s in ("train", "validation", "test")
                 for l in (ROOT / "data" / f"{s}.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    pool: list[str] = []
    total = 0
    with path.open("w") as fh:
        for i in range(n_docs):
            k = rng.randint(5, 40)
            while len(pool) < k:
                pool.extend(rng.sample(sentences, len(sentences)))
            doc, pool = pool[:k], pool[k:]
            total += k
            fh.write(json.dumps({"id": f"doc{i}", "text": " ".join(doc)}) + "\n")
    return total


def peak_rss_run(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in bytes over the process tree, stdout)."""
    import tempfile

    started = time.time()
    out_f, err_f = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # no pipe to fill up
    proc = subprocess.Popen(cmd, env=env, stdout=out_f, stderr=err_f, text=True)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    out_f.seek(0), err_f.seek(0)
    out, err = out_f.read(), err_f.read()
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-3000:]}")
    return time.time() - started, peak, out


BASELINE = r'''
import json, sys, time, resource
from transformers import pipeline
from stance.segment import split_sentences
model, dump, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
import torch; torch.set_num_threads(threads)
sents = [s.text for line in open(dump) for s in split_sentences(json.loads(line)["text"])]
clf = pipeline("text-classification", model=model, batch_size=32, truncation=True, max_length=128, device=-1)
start = time.time()
out = clf(sents)
elapsed = time.time() - start
print(json.dumps({"sentences": len(sents), "seconds": elapsed}))
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "latest"))
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each path; the median rate is reported")
    ap.add_argument("--workers", action="store_true", help="also run (b) and (c) with workers=N processes")
    args = ap.parse_args()
    model = Path(args.model).resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    dump = args.work / "dump.jsonl"
    n_sent = make_dump(dump, args.docs)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    py = sys.executable
    print(f"dump: {args.docs} documents, ~{n_sent} sentences, {dump.stat().st_size / 1e6:.1f} MB", flush=True)

    if not (model / "onnx" / "model.int8.onnx").is_file():
        peak_rss_run([py, str(ROOT / "scripts" / "export.py"), f"model={model}", "tracking=none",
                      f"hydra.run.dir={args.work}/export"], env)

    # the baseline times its classification loop only (sentences are split before the clock starts)
    rates_a, rss_a = [], 0
    for _ in range(args.repeats):
        _, rss, out = peak_rss_run([py, "-c", BASELINE, str(model), str(dump), str(args.threads)], env)
        res_a = json.loads(out.strip().splitlines()[-1])
        rates_a.append(res_a["sentences"] / res_a["seconds"])
        rss_a = max(rss_a, rss)
    rate_a = statistics.median(rates_a)

    results = {"docs": args.docs, "sentences": res_a["sentences"], "threads": args.threads,
               "repeats": args.repeats, "a_pipeline": {"sentences_per_s": round(rate_a, 1),
                                                       "runs": [round(r, 1) for r in rates_a],
                                                       "peak_rss_mb": round(rss_a / 2**20)}}
    outputs = {}
    one = [f"num_threads={args.threads}"]
    many = [f"workers={args.threads}", "num_threads=1"]
    runs = [("b_torch", "torch", "auto", one), ("b_torch_fp32", "torch", "fp32", one),
            ("c_onnx_int8", "onnx", "auto", one)]
    runs += [("b_torch_workers", "torch", "auto", many), ("c_onnx_int8_workers", "onnx", "auto", many)
             ] if args.workers else []
    for key, runtime, precision, extra in runs:
        out = args.work / f"{key}.jsonl"
        cmd = [py, str(ROOT / "scripts" / "predict.py"), f"model={model}", f"input={dump}", f"output={out}",
               f"runtime={runtime}", f"precision={precision}", *extra,
               "tracking=none", "progress=false", f"hydra.run.dir={args.work}/{key}"]
        rates, peak = [], 0
        for _ in range(args.repeats):
            _, rss, _ = peak_rss_run(cmd, env)
            summary = json.loads(Path(str(out) + ".summary.json").read_text())
            rates.append(summary["this_session"]["sentences_per_s"])
            peak = max(peak, rss)
        results[key] = {"sentences_per_s": round(statistics.median(rates), 1), "runs": rates,
                        "peak_rss_mb": round(peak / 2**20), "precision": summary["precision"]}
        outputs[key] = [json.loads(l)["label"] for l in out.read_text().splitlines()]
    results["b_over_a"] = round(results["b_torch"]["sentences_per_s"] / rate_a, 2)
    results["c_over_a"] = round(results["c_onnx_int8"]["sentences_per_s"] / rate_a, 2)
    b = outputs["b_torch_fp32"]
    auto = results["b_torch"]["precision"]
    names = {"b_torch": f"(b) predict, runtime=torch, defaults (precision=auto: {auto} here)",
             "b_torch_fp32": "(b') predict, runtime=torch precision=fp32",
             "c_onnx_int8": "(c) predict, runtime=onnx (int8)",
             "b_torch_workers": f"(b) with workers={args.threads}, 1 thread each",
             "c_onnx_int8_workers": f"(c) with workers={args.threads}, 1 thread each"}
    lines = ["| path | sentences/s | / (a) | label agreement with (b') fp32 | peak RSS MB |", "|---|---|---|---|---|",
             f"| (a) transformers.pipeline, batch 32 | {results['a_pipeline']['sentences_per_s']} | 1.0 | | "
             f"{results['a_pipeline']['peak_rss_mb']} |"]
    for key in outputs:
        results[key]["over_a"] = round(results[key]["sentences_per_s"] / rate_a, 2)
        results[key]["agreement_with_b"] = round(sum(x == y for x, y in zip(b, outputs[key])) / len(b), 4)
        lines.append(f"| {names[key]} | {results[key]['sentences_per_s']} | {results[key]['over_a']} | "
                     f"{results[key]['agreement_with_b']:.2%} | {results[key]['peak_rss_mb']} |")
    results["b_fp32_over_a"] = round(results["b_torch_fp32"]["sentences_per_s"] / rate_a, 2)
    table = "\n".join(lines + ["", f"b/a = {results['b_over_a']} (b'/a = {results['b_fp32_over_a']}), "
                                    f"c/a = {results['c_over_a']}"
           + f" ({results['sentences']} sentences, {args.threads} threads, median of {args.repeats} runs)"])
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "predict_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "predict_bench.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
