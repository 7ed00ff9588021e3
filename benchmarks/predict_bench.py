"""Batch-inference benchmark: our predict stage against a plain `transformers.pipeline` loop.

    python benchmarks/predict_bench.py [--model models/latest] [--docs 300] [--threads 2] [--repeats 3]

On a dump generated from the project's own sentences (documents of 5-40 sentences) it
reports sentences/s for
  (a) transformers.pipeline("text-classification", batch_size=32) over the same sentences,
  (b) scripts/predict.py end to end with its defaults (runtime=auto, precision=auto: the
      table says what they chose on this CPU),
  (b') runtime=torch precision=fp32 (the reference every agreement is measured against),
  (b'') runtime=torch precision=bf16 (autocast; what auto picks on CPUs with AVX512-BF16/AMX
      when no checked int8 export is there),
  (c) runtime=onnx (int8; exported first if missing),
and, with --workers, (b) and (c) again with `workers=N` model processes of 1 thread each
(N = --threads); the ratios to (a), the label agreement of each with fp32 torch (b'), each
run's peak RSS, and each path's share of its compute limit: useful FLOPs per sentence (from
the dump's token counts and the model's shape, no padding) x sentences/s, over the matmul
peak of its number format on this CPU (fp32 and bf16 torch.matmul, int8 ONNX Runtime
MatMulInteger, measured here at --threads threads). The CPU's model and flags are recorded.
Paths run interleaved (a b b' b'' c, a b ... for --repeats rounds) and each ratio to (a) is the
median of the per-round ratios, so a machine whose speed drifts (or that is shared) moves
both sides of a ratio alike.
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


def _rate(fn, ops: float, seconds: float) -> float:
    """Peak rate of `fn` (ops per call): the best of short timing windows, after a warm-up."""
    fn()
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t, n = time.perf_counter(), 0
        while n < 5:
            fn()
            n += 1
        best = max(best, ops * n / (time.perf_counter() - t))
    return best


def compute_limits(threads: int, seconds: float = 2.0) -> dict:
    """Matmul peaks on this CPU at `threads` threads, in G(FL)OP/s, on a shape like the model's
    (2,048 tokens x 384 -> 1,536): fp32 and bf16 with torch.matmul, int8 with ONNX Runtime's
    MatMulInteger (u8 x s8, constant weights: what the int8 export runs)."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper, numpy_helper

    torch.set_num_threads(threads)
    m, k, n = 2048, 384, 1536
    ops, limits = 2.0 * m * k * n, {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
        limits[name] = _rate(lambda a=a, b=b: a @ b, ops, seconds) / 1e9
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.integers(-127, 128, (k, n), dtype=np.int8), "b")
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "mm",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])],
                              [helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])], [weight])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                                .SerializeToString(), opts, providers=["CPUExecutionProvider"])
    x = rng.integers(0, 256, (m, k), dtype=np.uint8)
    limits["int8"] = _rate(lambda: sess.run(None, {"a": x}), ops, seconds) / 1e9
    return {key: round(v, 1) for key, v in limits.items()}


def gflop_per_sentence(model: Path, texts: list[str]) -> float:
    """Useful GFLOP per sentence (no padding): encoder matmuls and attention from each
    sentence's token count and the model's shape, plus pooler and classifier."""
    from transformers import AutoConfig, AutoTokenizer

    cfg = AutoConfig.from_pretrained(model)
    d, f, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    lengths = [len(x) for x in AutoTokenizer.from_pretrained(model)(texts, truncation=True,
                                                                    max_length=128)["input_ids"]]
    per_token = layers * 2 * (4 * d * d + 2 * d * f)
    total = sum(t * per_token + layers * 4 * t * t * d + 2 * d * d + 2 * d * cfg.num_labels for t in lengths)
    return total / len(lengths) / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "latest"))
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    ap.add_argument("--repeats", type=int, default=1, help="rounds over all paths; medians are reported")
    ap.add_argument("--workers", action="store_true", help="also run (b) and (c) with workers=N processes")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from stance.hardware import cpu_info
    from stance.segment import split_sentences

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
    sentences = [s.text for line in dump.read_text().splitlines() for s in split_sentences(json.loads(line)["text"])]
    gflop = gflop_per_sentence(model, sentences)
    limits = compute_limits(args.threads)
    print(f"cpu: {cpu_info()}; limits G(FL)OP/s: {limits}; {gflop:.3f} GFLOP per sentence", flush=True)

    one = [f"num_threads={args.threads}"]
    many = [f"workers={args.threads}", "num_threads=1"]
    paths = {"a_pipeline": None,  # (key, overrides)
             "b_defaults": one, "b_torch_fp32": ["runtime=torch", "precision=fp32", *one],
             "b_torch_bf16": ["runtime=torch", "precision=bf16", *one], "c_onnx_int8": ["runtime=onnx", *one]}
    if args.workers:
        paths.update({"b_defaults_workers": many, "c_onnx_int8_workers": ["runtime=onnx", *many]})
    rates: dict = {key: [] for key in paths}
    peaks: dict = {key: 0 for key in paths}
    summaries: dict = {}
    for _ in range(args.repeats):  # interleaved: every path once per round
        for key, extra in paths.items():
            if extra is None:  # the baseline times its loop only (sentences split before the clock)
                _, rss, out = peak_rss_run([py, "-c", BASELINE, str(model), str(dump), str(args.threads)], env)
                res = json.loads(out.strip().splitlines()[-1])
                rates[key].append(res["sentences"] / res["seconds"])
            else:
                out = args.work / f"{key}.jsonl"
                _, rss, _ = peak_rss_run([py, str(ROOT / "scripts" / "predict.py"), f"model={model}",
                                          f"input={dump}", f"output={out}", *extra, "tracking=none",
                                          "progress=false", f"hydra.run.dir={args.work}/{key}"], env)
                summaries[key] = json.loads(Path(str(out) + ".summary.json").read_text())
                rates[key].append(summaries[key]["this_session"]["sentences_per_s"])
            peaks[key] = max(peaks[key], rss)

    fp32_labels = [json.loads(l)["label"] for l in (args.work / "b_torch_fp32.jsonl").read_text().splitlines()]
    results = {"docs": args.docs, "sentences": len(sentences), "threads": args.threads, "repeats": args.repeats,
               "cpu": cpu_info(), "compute_limits_gops": limits, "gflop_per_sentence": round(gflop, 4)}
    names = {"a_pipeline": "(a) transformers.pipeline, batch 32 (fp32)",
             "b_defaults": "(b) predict, defaults", "b_torch_fp32": "(b') predict, runtime=torch precision=fp32",
             "b_torch_bf16": "(b'') predict, runtime=torch precision=bf16",
             "c_onnx_int8": "(c) predict, runtime=onnx (int8)",
             "b_defaults_workers": f"(b) with workers={args.threads}, 1 thread each",
             "c_onnx_int8_workers": f"(c) with workers={args.threads}, 1 thread each"}
    lines = ["| path | sentences/s (median) | / (a), median of rounds | label agreement with (b') fp32 "
             "| share of compute limit | peak RSS MB |", "|---|---|---|---|---|---|"]
    for key in paths:
        summary = summaries.get(key, {"runtime": "torch", "precision": "fp32"})
        fmt = "int8" if summary["runtime"] in ("onnx", "onnx-int8") else summary["precision"]
        fmt = fmt if fmt in limits else "fp32"
        rate = statistics.median(rates[key])
        over_a = statistics.median(r / a for r, a in zip(rates[key], rates["a_pipeline"]))
        share = rate * gflop / limits[fmt]
        entry = {"sentences_per_s": round(rate, 1), "runs": [round(r, 1) for r in rates[key]],
                 "over_a": round(over_a, 2), "number_format": fmt, "share_of_limit": round(share, 3),
                 "peak_rss_mb": round(peaks[key] / 2**20)}
        agreement = ""
        if key in summaries:
            labels = [json.loads(l)["label"] for l in (args.work / f"{key}.jsonl").read_text().splitlines()]
            entry["agreement_with_fp32"] = round(sum(x == y for x, y in zip(fp32_labels, labels)) / len(labels), 4)
            entry.update(runtime=summary["runtime"], precision=summary["precision"],
                         runtime_choice=summary.get("runtime_choice"))
            agreement = f"{entry['agreement_with_fp32']:.2%}"
        name = names[key] + (f" ({summary['runtime']}, {summary['precision']}: {summary.get('runtime_choice')})"
                             if key.startswith("b_defaults") else "")
        results[key] = entry
        lines.append(f"| {name} | {entry['sentences_per_s']} | {entry['over_a']} | {agreement} | "
                     f"{share:.0%} of {fmt} {limits[fmt]:.0f} | {entry['peak_rss_mb']} |")
    info = results["cpu"]
    table = "\n".join(lines + ["", f"CPU: {info['model']}, {info['cores']} cores usable, flags "
                                    f"{' '.join(info['flags'])}; matmul limits at {args.threads} threads: "
                                    + ", ".join(f"{k} {v:.0f}" for k, v in limits.items())
                                    + f" G(FL)OP/s; {gflop:.3f} useful GFLOP per sentence; "
                                    f"{len(sentences)} sentences, {args.repeats} interleaved rounds"])
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "predict_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "predict_bench.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
