"""Learning curve: train on 25/50/100% of the training split, score each on our test split
and on the eval sets every training run scores (realdev, external), beside TF-IDF.

    python scripts/learning_curve.py [--fractions 0.25 0.5 1.0] [--out reports/learning_curve]
        [-- extra train overrides, e.g. data=both]

Every train call is a normal tracked run (experiment `learning-curve`); the models go to
models/learning-curve/<time>/ with no registry alias, so models/latest and the champion
are left alone. Writes <out>.md and <out>.json.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = ("realdev", "external")  # eval sets train scores (configs/eval_sets/), reported when present


def stage(name: str, *overrides: str) -> None:
    cmd = [sys.executable, str(ROOT / "scripts" / f"{name}.py"), *overrides]
    print("+", " ".join(cmd[1:]), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode:
        sys.exit(f"error: {name} failed (exit {proc.returncode}): {' '.join(overrides)}")


def point(label: str, fraction: float, stamp: str, extra: list[str]) -> dict:
    run_dir = ROOT / "outputs" / "learning_curve" / stamp / label
    # models of their own folder, no registry alias: models/latest and @champion stay as they were
    models_dir = ROOT / "models" / "learning-curve" / stamp
    stage("train", f"data.train_fraction={fraction}", f"run_name=lc-{label}",
          "tracking.experiment=learning-curve", f"hydra.run.dir={run_dir}/train",
          f"paths.models_dir={models_dir}", "promote=none", *extra)
    model_dir = (models_dir / "latest").resolve()
    m = json.loads((model_dir / "metrics.json").read_text())["metrics"]
    out = {"run": label, "train_fraction": fraction, "model_dir": str(model_dir),
           "validation_macro_f1": m["best_validation_macro_f1"], "test_macro_f1": m["test_macro_f1"]}
    for name in SETS:  # scored by train itself when the set's file is present
        if f"{name}_macro_f1" in m:
            out[f"{name}_macro_f1"] = m[f"{name}_macro_f1"]
            out[f"{name}_recall"] = {k[len(name) + 8:]: v for k, v in m.items()
                                     if k.startswith(f"{name}_recall_")}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "learning_curve")
    ap.add_argument("extra", nargs="*", help="extra train overrides, e.g. trainer.max_epochs=3")
    args = ap.parse_args()
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    points = [point(f"minilm-{int(f * 100)}pct", f, stamp, args.extra) for f in args.fractions]
    points.append(point("tfidf-100pct", 1.0, stamp, ["model=tfidf", *args.extra]))
    sets = [n for n in SETS if all(f"{n}_macro_f1" in p for p in points)]
    lines = ["| run | train share | validation macro-F1 | test macro-F1 | "
             + " | ".join(f"{n} macro-F1" for n in sets) + " |", "|---|---|---|---|" + "---|" * len(sets)]
    for p in points:
        lines.append(f"| {p['run']} | {p['train_fraction']:.0%} | {p['validation_macro_f1']:.3f} | "
                     f"{p['test_macro_f1']:.3f} | " + " | ".join(f"{p[f'{n}_macro_f1']:.3f}" for n in sets) + " |")
    table = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(points, indent=2) + "\n")
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
