"""Check the labelled corpus and print its statistics.

    python scripts/check_data.py [--data-dir data] [--jaccard 0.5] [--datasheet]

Exit status 1 with file:line:reason for every integrity problem (schema, labels,
duplicates, near-duplicates across splits; the register rewrites keep their source's label
and echo no held-out or evaluation sentence). `--datasheet` rewrites the generated
section of <data-dir>/DATASHEET.md.
"""

import argparse
import json
import re
import sys
from pathlib import Path

from stance.config import DEFAULT_LABELS
from stance.data.check import check_corpus, format_statistics, statistics
from stance.data.check_documents import check_documents
from stance.data.check_documents import format_statistics as format_document_statistics
from stance.data.check_rewrites import check_rewrites
from stance.data.documents import sentence_rows
from stance.labels import LabelSet

BEGIN, END = "<!-- BEGIN GENERATED STATISTICS -->", "<!-- END GENERATED STATISTICS -->"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    ap.add_argument("--jaccard", type=float, default=0.5,
                    help="near-duplicate threshold on word 3-gram Jaccard similarity")
    ap.add_argument("--labels", nargs="+", default=DEFAULT_LABELS)
    ap.add_argument("--datasheet", action="store_true", help="rewrite the statistics in DATASHEET.md")
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared",
                    help="the team's shared folder: no written sentence may echo its evaluation sets")
    args = ap.parse_args(argv)
    labels = LabelSet(args.labels)
    paths = {s: args.data_dir / f"{s}.jsonl" for s in ("train", "validation", "test")}
    report = check_corpus(paths, labels, args.jaccard)
    text = format_statistics(statistics(report.rows, labels), labels)
    problems = list(report.problems)
    docs_dir = args.data_dir / "documents"
    if (docs_dir / "src").is_dir():
        eval_files = [args.shared / "realdev" / "realdev.jsonl", args.shared / "external" / "plover_gsr_stance.jsonl"]
        doc_problems, doc_stats = check_documents(docs_dir, paths, eval_files, args.jaccard)
        problems += doc_problems
        text += "\n\n### Document corpus\n\n" + format_document_statistics(doc_stats)
    rewrites = args.data_dir / "rewrites" / "train.jsonl"
    if rewrites.is_file():
        held_out = [r.rec["text"] for r in report.rows if r.split != "train"]
        if (docs_dir / "validation.jsonl").is_file():
            held_out += [row["text"] for split in ("validation", "test")
                         for line in (docs_dir / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
                         if line.strip() for row in sentence_rows(json.loads(line))]
        eval_files = [args.shared / "realdev" / "realdev.jsonl", args.shared / "external" / "plover_gsr_stance.jsonl"]
        train = {r.rec["id"]: r.rec for r in report.rows if r.split == "train"}
        rw_problems, rw_stats = check_rewrites(rewrites, train, held_out, eval_files, labels, args.jaccard)
        problems += rw_problems
        counts = {key: ", ".join(f"{k} {v}" for k, v in sorted(rw_stats[key].items()))
                  for key in ("labels", "registers")}
        text += ("\n\n### Register rewrites (opt-in: `data.extra_train=[data/rewrites/train.jsonl]`)\n\n"
                 f"{rw_stats['rows']} rows; labels {counts['labels']}; registers {counts['registers']}.")
    print(text)
    if args.datasheet:
        sheet = args.data_dir / "DATASHEET.md"
        body = sheet.read_text()
        block = f"{BEGIN}\n<!-- made by `python scripts/check_data.py --datasheet`; do not edit -->\n{text}\n{END}"
        sheet.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, body, flags=re.S))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("\nno integrity problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
