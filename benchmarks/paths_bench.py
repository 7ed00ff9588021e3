"""Model-only paired benchmark of the inference paths, in one process, interleaved.

    python benchmarks/paths_bench.py --model models/latest [--sentences 600] [--rounds 5] [--threads 2]
                                     [--isa native|avx2] [--compile]

Where `predict_bench.py` times whole jobs in separate processes, this times the model alone
(tokenised sentences in, probabilities out) for each path in turn, round after round
(a b c ... a b c ...), so a shared or drifting machine moves every path alike; each ratio to
the pipeline is the median of the per-round ratios. Paths: (a) transformers.pipeline,
batch 32, fp32 (tokenising included, as the pipeline always does); our predict_encoded in
torch fp32 and bf16 autocast, each with the last layer computed for [CLS] only (the default)
and with the full last layer; ONNX Runtime int8 (the export's model.int8.onnx) if present;
with --compile, torch fp32 under torch.compile.
Also: label agreement with torch fp32 on the same sentences, the CPU's model and flags, the
matmul limits per number format and each path's share of its limit (useful GFLOP per
sentence of a full forward, no padding, from predict_bench.py). Writes
benchmarks/results/paths_bench.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "latest"))
    ap.add_argument("--sentences", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--isa", choices=["native", "avx2"], default="native",
                    help="avx2: cap torch's kernels at AVX2 (hardware.ISA_ENV), standing in for an "
                         "AVX2-only CPU; bf16 paths are skipped, ONNX Runtime ignores the cap")
    ap.add_argument("--compile", action="store_true",
                    help="also time torch fp32 with the model under torch.compile (inductor, weights "
                         "frozen, dynamic shapes); the compile time is reported apart")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "paths_bench"),
                    help="results file stem (.json and .md are written)")
    args = ap.parse_args()
    from stance.hardware import ISA_ENV

    if args.isa != "native":
        os.environ.update(ISA_ENV[args.isa])  # before torch loads its math libraries
    import torch

    torch.set_num_threads(args.threads)
    from predict_bench import compute_limits, gflop_per_sentence, make_dump
    from transformers import pipeline

    from stance.hardware import cpu_info, native_bf16
    from stance.inference.runtime import OnnxClassifier
    from stance.models import load
    from stance.segment import split_sentences

    model = Path(args.model).resolve()
    work = ROOT / "benchmarks" / "work"
    work.mkdir(parents=True, exist_ok=True)
    make_dump(work / "paths_dump.jsonl", 300)
    texts = [s.text for line in (work / "paths_dump.jsonl").read_text().splitlines()
             for s in split_sentences(json.loads(line)["text"])][:args.sentences]
    clf = load(model)
    ids = clf.encode(texts)
    pipe = pipeline("text-classification", model=str(model), batch_size=32, truncation=True,
                    max_length=128, device=-1, top_k=None)

    def torch_path(precision: str, cls_only: bool):
        def run():
            clf.set_precision(precision)
            pooling, clf.pooling = clf.pooling, clf.pooling if cls_only else "full-last-layer"
            try:
                return clf.predict_encoded(ids)
            finally:
                clf.pooling = pooling
        return run

    def pipeline_path():
        out = pipe(texts)
        order = {n: i for i, n in enumerate(clf.labels.names)}
        proba = np.zeros((len(texts), len(order)), dtype=np.float32)
        for row, scores in enumerate(out):
            for s in scores:
                proba[row, order[s["label"]]] = s["score"]
        return proba

    paths = {"a_pipeline": ("(a) transformers.pipeline, batch 32", "fp32", pipeline_path),
             "torch_fp32": ("torch fp32, [CLS]-only last layer", "fp32", torch_path("fp32", True)),
             "torch_fp32_full": ("torch fp32, full last layer", "fp32", torch_path("fp32", False)),
             "torch_bf16": ("torch bf16 autocast, [CLS]-only last layer (the default here)", "bf16",
                            torch_path("bf16", True)),
             "torch_bf16_full": ("torch bf16 autocast, full last layer", "bf16", torch_path("bf16", False))}
    if clf.pooling != "cls":  # the [CLS]-only last layer needs a [CLS]-pooled model: same as full
        paths = {k: v for k, v in paths.items() if k in ("a_pipeline", "torch_fp32_full", "torch_bf16_full")}
    if not native_bf16("cpu"):  # emulated bf16 is slower than fp32: not a path anyone would pick
        paths = {k: v for k, v in paths.items() if v[1] != "bf16"}
    if (model / "onnx" / "model.int8.onnx").is_file() and args.isa == "native":
        onnx = OnnxClassifier(model, "model.int8.onnx", num_threads=args.threads)
        paths["onnx_int8"] = ("ONNX Runtime int8 (dynamic, per-channel)", "int8",
                              lambda: onnx.predict_encoded(ids))
    compile_s = None
    if args.compile:
        import torch._inductor.config

        torch._inductor.config.freezing = True  # weights as constants: inductor may fold and fuse them
        compiled = load(model)
        compiled.set_precision("fp32")
        compiled.model = torch.compile(compiled.model, dynamic=True)
        t = time.perf_counter()
        compiled.predict_encoded(ids)
        compile_s = round(time.perf_counter() - t, 1)
        paths["torch_fp32_compiled"] = ("torch fp32, torch.compile (inductor, frozen weights)", "fp32",
                                        lambda: compiled.predict_encoded(ids))
    rates: dict = {k: [] for k in paths}
    proba: dict = {}
    for key, (_, _, fn) in paths.items():  # warm-up, and the probabilities to compare
        proba[key] = fn()
    for _ in range(args.rounds):
        for key, (_, _, fn) in paths.items():
            t = time.perf_counter()
            fn()
            rates[key].append(len(texts) / (time.perf_counter() - t))
    limits = compute_limits(args.threads)
    gflop = gflop_per_sentence(model, texts)
    ref = proba["torch_fp32_full"].argmax(1)
    results = {"model": str(model), "sentences": len(texts), "threads": args.threads, "rounds": args.rounds,
               "cpu": cpu_info(), "compute_limits_gops": limits, "gflop_per_sentence": round(gflop, 4)}
    lines = ["| path | sentences/s (median) | / (a), median of rounds | label agreement with torch fp32 "
             "| share of compute limit |", "|---|---|---|---|---|"]
    for key, (name, fmt, _) in paths.items():
        rate = statistics.median(rates[key])
        over_a = statistics.median(r / a for r, a in zip(rates[key], rates["a_pipeline"]))
        share = rate * gflop / limits[fmt]
        agreement = float((proba[key].argmax(1) == ref).mean())
        results[key] = {"sentences_per_s": round(rate, 1), "runs": [round(r, 1) for r in rates[key]],
                        "over_a": round(over_a, 2), "agreement_with_fp32": round(agreement, 4),
                        "number_format": fmt, "share_of_limit": round(share, 3)}
        lines.append(f"| {name} | {rate:.1f} | {over_a:.2f} | {agreement:.2%} | {share:.0%} of {fmt} "
                     f"{limits[fmt]:.0f} |")
    info = results["cpu"]
    lines += ["", f"CPU: {info['model']}, {info['cores']} cores usable, flags {' '.join(info['flags'])}; "
                  f"{args.threads} threads; matmul limits " + ", ".join(f"{k} {v:.0f}" for k, v in limits.items())
              + f" G(FL)OP/s; {gflop:.3f} GFLOP per sentence (full forward); {len(texts)} sentences, "
                f"{args.rounds} interleaved rounds"]
    results["isa"] = args.isa
    if compile_s is not None:
        results["compile_s"] = compile_s
        lines.append(f"torch.compile: {compile_s} s to compile and run the first pass over the sentences")
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
