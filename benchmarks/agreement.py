"""Label agreement of each inference path with plain fp32 torch, on every labelled set we have
(with --reference: with another model's fp32 labels, e.g. a smaller model against the default).

    python benchmarks/agreement.py --model models/latest [--dump benchmarks/work/paths_dump.jsonl]

Paths: torch bf16 autocast, and ONNX Runtime int8 (the export's model.int8.onnx; run
`scripts/export.py model=<folder>` first). Sets: our validation and test splits, realdev
(`../shared/realdev`, where present) and the sentences of a bench dump. Prints a Markdown
table (agreement, flips, largest probability difference) and writes
benchmarks/results/agreement.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "latest"))
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--dump", default=str(ROOT / "benchmarks" / "work" / "paths_dump.jsonl"))
    ap.add_argument("--reference", default=None,
                    help="compare with this model's fp32 labels instead of --model's own (a smaller "
                         "model against the default)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "agreement.json"))
    args = ap.parse_args()
    from stance.config import DEFAULT_LABELS
    from stance.data.load import load_documents, load_file
    from stance.inference.runtime import OnnxClassifier
    from stance.labels import LabelSet
    from stance.models import load
    from stance.segment import split_sentences

    model = Path(args.model).resolve()
    labels = LabelSet(DEFAULT_LABELS)
    sets: dict[str, list[str]] = {
        split: list(load_file(ROOT / "data" / f"{split}.jsonl", labels)["text"])
        + list(load_documents(ROOT / "data" / "documents" / f"{split}.jsonl", labels)["text"])
        for split in ("validation", "test")}
    realdev = Path(args.shared) / "realdev" / "realdev.jsonl"
    if realdev.is_file():
        sets["realdev"] = [json.loads(x)["text"] for x in realdev.read_text().splitlines() if x]
    if Path(args.dump).is_file():
        sets["bench dump"] = [s.text for x in Path(args.dump).read_text().splitlines() if x
                              for s in split_sentences(json.loads(x)["text"])]
    clf = load(model)
    onnx = (OnnxClassifier(model, "model.int8.onnx") if (model / "onnx" / "model.int8.onnx").is_file()
            else None)
    results: dict = {"model": str(model)}
    header = " | ".join(f"{name} ({len(t)})" for name, t in sets.items())
    rows = [f"| path | {header} | largest probability difference |", "|---" * (len(sets) + 2) + "|"]
    probs: dict = {"reference": {}, "fp32": {}, "bf16": {}, "int8": {}}
    reference = load(Path(args.reference).resolve()) if args.reference else clf
    results["reference"] = str(Path(args.reference).resolve()) if args.reference else str(model)
    for name, texts in sets.items():
        ids = clf.encode(texts)
        for precision in ("fp32", "bf16"):
            clf.set_precision(precision)
            probs[precision][name] = clf.predict_encoded(ids)
        reference.set_precision("fp32")
        probs["reference"][name] = (probs["fp32"][name] if reference is clf
                                    else reference.predict_encoded(reference.encode(texts)))
        if onnx is not None:
            probs["int8"][name] = onnx.predict_encoded(ids)
    for path in (("fp32", "bf16", "int8") if args.reference else ("bf16", "int8")):
        if not probs[path]:
            continue
        cells, worst = [], 0.0
        for name in sets:
            ref, got = probs["reference"][name], probs[path][name]
            flips = int((ref.argmax(1) != got.argmax(1)).sum())
            worst = max(worst, float(np.abs(ref - got).max()))
            results[f"{path}/{name}"] = {"agreement": round(1 - flips / len(ref), 4), "flips": flips}
            cells.append(f"{1 - flips / len(ref):.2%} ({flips} flips)")
        results[f"{path}/max_prob_diff"] = round(worst, 3)
        rows.append(f"| {path} | " + " | ".join(cells) + f" | {worst:.3f} |")
    out = Path(args.out)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
