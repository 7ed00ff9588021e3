"""Holder accuracy of the gazetteer rule (stance.actors) against the `actor` field of the corpus.

    python scripts/holder_accuracy.py                          # data/test.jsonl, default gazetteer
    python scripts/holder_accuracy.py --data data/validation.jsonl --errors 20

Gold names are mapped to the gazetteer's canonical names through its aliases ("TPLF" ->
"Tigray People's Liberation Front"); rows whose gold actor the gazetteer does not know are left
out. Printed: accuracy on those rows, accuracy where the sentence names its gold actor (the rule's
choice among the actors it names), precision when a holder is returned, and coverage."""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stance.actors import Gazetteer, holder, merge_entries, read_gazetteer_file, year_in  # noqa: E402


def measure(rows: list[dict], gaz: Gazetteer) -> dict:
    n = known = named = right = right_named = returned = right_returned = 0
    errors, by_register = [], Counter()
    for row in rows:
        n += 1
        gold = gaz.canonical(row.get("actor") or "")
        if gold is None:
            continue
        known += 1
        got = holder(row["text"], gaz)
        mentioned = gold in {m.actor for m in gaz.mentions(row["text"], year_in(row["text"]))}
        named += mentioned
        ok = got == gold
        right += ok
        right_named += ok and mentioned
        returned += got is not None
        right_returned += ok and got is not None
        by_register[(row.get("register"), ok)] += 1
        if not ok:
            errors.append((gold, got, row["text"]))
    registers = sorted({r for r, _ in by_register})
    return {
        "rows": n, "gold_in_gazetteer": known,
        "accuracy": right / known if known else 0.0,
        "rows_naming_gold": named, "accuracy_when_named": right_named / named if named else 0.0,
        "holder_returned": returned, "precision": right_returned / returned if returned else 0.0,
        "by_register": {r: by_register[(r, True)] / (by_register[(r, True)] + by_register[(r, False)])
                        for r in registers},
        "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "test.jsonl"))
    ap.add_argument("--gazetteer", nargs="+", default=[str(ROOT / "configs" / "gazetteer" / "default.yaml")],
                    help="gazetteer files, later ones merged onto earlier ones")
    ap.add_argument("--errors", type=int, default=0, help="print this many random misses")
    args = ap.parse_args()
    actors, ignore = {}, []
    for path in args.gazetteer:
        more, more_ignore = read_gazetteer_file(path)
        actors, ignore = merge_entries(actors, more), ignore + more_ignore
    gaz = Gazetteer(actors, ignore)
    rows = [json.loads(line) for line in Path(args.data).read_text().splitlines() if line.strip()]
    m = measure(rows, gaz)
    print(f"{args.data}: {m['rows']} rows, gold actor in the gazetteer for {m['gold_in_gazetteer']}")
    print(f"  holder accuracy (gold actor in the gazetteer):     {m['accuracy']:.1%}")
    print(f"  ... where the sentence names its gold actor:      {m['accuracy_when_named']:.1%} "
          f"({m['rows_naming_gold']} rows)")
    print(f"  precision when a holder is returned:               {m['precision']:.1%} "
          f"({m['holder_returned']} rows)")
    print("  accuracy by register: " + ", ".join(f"{r} {a:.1%}" for r, a in m["by_register"].items()))
    for gold, got, text in random.Random(0).sample(m["errors"], min(args.errors, len(m["errors"]))):
        print(f"  gold {gold!r}, got {got!r}: {text}")


if __name__ == "__main__":
    main()
