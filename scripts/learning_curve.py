"""Learning curve: train on 25/50/100% of the training split, score each on our test split
and on an external labelled file, beside the TF-IDF baseline.

    python scripts/learning_curve.py --external ../shared/external/plover_gsr_stance.jsonl
        [--fractions 0.25 0.5 1.0] [--out reports/learning_curve] [-- extra train overrides]

Every train and evaluate call is a normal tracked run (experiment `learning-curve`); the
models go to models/learning-curve/<time>/ with no registry alias, so models/latest and
the champion are left alone. Writes <out>.md and <out>.json.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stage(name: str, *overrides: str) -> None:
    cmd = [sys.executable, str(ROOT / "scripts" / f"{name}.py"), *overrides]
    print("+", " ".join(cmd[1:]), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode:
        sys.exit(f"error: {name} failed (exit {proc.returncode}): {' '.join(overrides)}")


def point(label: str, fraction: float, external: Path, stamp: str, extra: list[str]) -> dict:
    run_dir = ROOT / "outputs" / "learning_curve" / stamp / label
    # models of their own folder, no registry alias: models/latest and @champion stay as they were
    models_dir = ROOT / "models" / "learning-curve" / stamp
    stage("train", f"data.train_fraction={fraction}", f"run_name=lc-{label}",
          "tracking.experiment=learning-curve", f"hydra.run.dir={run_dir}/train",
          f"paths.models_dir={models_dir}", "promote=none", *extra)
    model_dir = (models_dir / "latest").resolve()
    record = json.loads((model_dir / "metrics.json").read_text())
    stage("evaluate", f"model={model_dir}", f"data={external}", f"run_name=lc-{label}-external",
          "tracking.experiment=learning-curve", f"hydra.run.dir={run_dir}/external")
    ext = json.loads(next((run_dir / "external" / "eval").glob("*_metrics.json")).read_text())["metrics"]
    return {"run": label, "train_fraction": fraction, "model_dir": str(model_dir),
            "validation_macro_f1": record["metrics"]["best_validation_macro_f1"],
            "test_macro_f1": record["metrics"]["test_macro_f1"],
            "external_macro_f1": ext["macro_f1"],
            "external_recall": {k[len("recall_"):]: v for k, v in ext.items()
                                if k.startswith("recall_") and ext.get("support_" + k[7:], 0) > 0}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--external", type=Path, required=True)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "learning_curve")
    ap.add_argument("extra", nargs="*", help="extra train overrides, e.g. trainer.max_epochs=3")
    args = ap.parse_args()
    if not args.external.is_file():
        sys.exit(f"error: {args.external}: file not found — pass --external <labelled JSONL>")
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    points = [point(f"minilm-{int(f * 100)}pct", f, args.external.resolve(), stamp, args.extra)
              for f in args.fractions]
    points.append(point("tfidf-100pct", 1.0, args.external.resolve(), stamp, ["model=tfidf"]))
    labels = sorted({k for p in points for k in p["external_recall"]})
    lines = ["| run | train share | validation macro-F1 | test macro-F1 | external macro-F1 | "
             + " | ".join(f"ext. recall {l}" for l in labels) + " |",
             "|---|---|---|---|---|" + "---|" * len(labels)]
    for p in points:
        lines.append(f"| {p['run']} | {p['train_fraction']:.0%} | {p['validation_macro_f1']:.3f} | "
                     f"{p['test_macro_f1']:.3f} | {p['external_macro_f1']:.3f} | "
                     + " | ".join(f"{p['external_recall'].get(l, float('nan')):.3f}" for l in labels) + " |")
    table = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(points, indent=2) + "\n")
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
