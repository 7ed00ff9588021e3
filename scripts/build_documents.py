"""Build the document corpus from its plain-text sources, or check source files.

    python3 scripts/build_documents.py                 # data/documents/src ->
                                                       #   data/documents/{train,validation,test}.jsonl
    python3 scripts/build_documents.py --check PATH    # validate a source folder or file, print its counts

The source format is described in src/stance/data/documents.py and data/DATASHEET.md.
Needs only the standard library (writers run it with a bare python3). Exit status 1
with file:line: reason for every problem; nothing is written when there is one.
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stance.data.documents import LABELS, assign_split, read_sources  # noqa: E402

SPLITS = ("train", "validation", "test")


def summary(docs) -> str:
    labels = Counter(s.label for d in docs for s in d.sentences)
    n = sum(labels.values())
    regs = Counter(d.register for d in docs)
    decades = Counter(f"{d.date[:3]}0s" for d in docs if d.date[:3].isdigit())
    lines = [f"{len(docs)} documents, {n} labelled sentences "
             f"({n / max(len(docs), 1):.1f} a document)",
             "labels: " + ", ".join(f"{l} {labels[l]} ({labels[l] / max(n, 1):.0%})" for l in LABELS),
             "registers: " + ", ".join(f"{r} {c}" for r, c in sorted(regs.items())),
             "decades: " + ", ".join(f"{d} {c}" for d, c in sorted(decades.items()))]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", type=Path, metavar="PATH", help="only validate this folder or file")
    ap.add_argument("--src", type=Path, default=ROOT / "data" / "documents" / "src")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "documents")
    args = ap.parse_args(argv)
    docs, problems = read_sources(args.check or args.src)
    print(summary(docs))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    if args.check:
        print("no problems")
        return 0
    by_split = {s: [] for s in SPLITS}
    for doc in docs:
        by_split[assign_split(doc.id)].append(doc)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, items in by_split.items():
        path = args.out / f"{split}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for doc in items:
                rec = doc.to_record()
                if rec["source"].startswith(str(ROOT)):
                    rec["source"] = str(Path(rec["source"]).relative_to(ROOT))
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(f"{path}: {len(items)} documents, {sum(len(d.sentences) for d in items)} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
