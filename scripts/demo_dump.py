"""A small news dump for trying predict and report: documents built from the corpus sentences.

    python scripts/demo_dump.py --out demo/dump.jsonl            # 1,500 documents over 26 weeks

Each document strings together 3-8 sentences of one split (default: all three), with a date
drawn at random in the period and the register as `source`. Dates are random, so the report of
this dump shows stance mixes, not real shifts. Uses data/documents/*.jsonl when it exists (the
document corpus: fields text, date, register), else the sentence corpus."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, default=1500)
    ap.add_argument("--start", default="2025-01-06")
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    start = dt.date.fromisoformat(args.start)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    documents = sorted((ROOT / "data" / "documents").glob("*.jsonl"))
    with out.open("w") as fh:
        if documents:  # the document corpus, dates kept where it has them
            for i, line in enumerate(line for f in documents for line in f.read_text().splitlines() if line):
                doc = json.loads(line)
                date = doc.get("date") or (start + dt.timedelta(days=rng.randrange(7 * args.weeks))).isoformat()
                fh.write(json.dumps({"id": doc.get("id", f"doc{i}"), "text": doc["text"], "date": date,
                                     "source": doc.get("register", "unknown")}) + "\n")
            return
        rows = [json.loads(line) for s in ("train", "validation", "test")
                for line in (ROOT / "data" / f"{s}.jsonl").read_text().splitlines() if line]
        for i in range(args.docs):
            register = rng.choice(["wire", "statement", "cable", "encyclopedic", "analysis"])
            pool = [r for r in rows if r["register"] == register]
            text = " ".join(r["text"] for r in rng.sample(pool, rng.randint(3, 8)))
            date = start + dt.timedelta(days=rng.randrange(7 * args.weeks))
            fh.write(json.dumps({"id": f"doc{i:05d}", "text": text, "date": date.isoformat(),
                                 "source": register}) + "\n")


if __name__ == "__main__":
    main()
