"""Document-corpus check: built files match their sources, offsets cut clean sentences,
no duplicate or cross-split near-duplicate sentences (against the sentence corpus too),
no overlap with the real-text evaluation sets, and the statistics for the DATASHEET."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from stance.data.check import near_duplicates, normalise
from stance.data.documents import LABELS, REGISTERS, assign_split, read_sources, sentence_rows

SPLITS = ("train", "validation", "test")


def read_built(docs_dir: Path, problems: list[str]) -> dict[str, list[dict]]:
    built: dict[str, list[dict]] = {}
    for split in SPLITS:
        path = Path(docs_dir) / f"{split}.jsonl"
        if not path.is_file():
            problems.append(f"{path}: file not found (run `make documents`)")
            built[split] = []
            continue
        built[split] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return built


def check_documents(docs_dir: Path, sentence_files: dict[str, Path], eval_files: list[Path],
                    jaccard: float = 0.5, eval_jaccard: float = 0.35) -> tuple[list[str], dict]:
    """(problems, statistics). `eval_files`: real-text sets no written sentence may echo."""
    docs_dir = Path(docs_dir)
    problems: list[str] = []
    sources, src_problems = read_sources(docs_dir / "src")
    problems += src_problems
    built = read_built(docs_dir, problems)
    want: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for src in sources:
        rec = src.to_record()
        rec["source"] = str(Path(rec["source"]).relative_to(docs_dir.parents[1])) \
            if rec["source"].startswith(str(docs_dir.parents[1])) else rec["source"]
        want[assign_split(src.id)].append(rec)
    for split in SPLITS:
        if [_core(d) for d in built[split]] != [_core(d) for d in want[split]]:
            problems.append(f"{docs_dir / (split + '.jsonl')}: out of date with data/documents/src "
                            "(run `make documents`)")
    rows: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for split, docs in built.items():
        for line_no, doc in enumerate(docs, start=1):
            where = f"{docs_dir / (split + '.jsonl')}:{line_no}"
            for s in doc["sentences"]:
                piece = doc["text"][s["start"]:s["end"]]
                if not piece or piece != piece.strip() or not (0 <= s["start"] < s["end"] <= len(doc["text"])):
                    problems.append(f"{where}: sentence offsets {s['start']}..{s['end']} do not cut a clean sentence")
            rows[split] += [dict(r, where=where) for r in sentence_rows(doc)]
    all_rows = [r for s in SPLITS for r in rows[s]]
    seen: dict[str, str] = {}
    for r in all_rows:
        key = normalise(r["text"])
        if key in seen:
            problems.append(f"{r['where']}: sentence {r['id']} repeats {seen[key]} exactly")
        seen.setdefault(key, r["id"])
    corpus = {s: [json.loads(x)["text"] for x in Path(p).read_text(encoding="utf-8").splitlines() if x.strip()]
              for s, p in sentence_files.items() if Path(p).is_file()}
    for i, s1 in enumerate(SPLITS):  # documents vs documents and sentence corpus of other splits
        for s2 in SPLITS:
            if s1 == s2:
                continue
            others = ([r["text"] for r in rows[s2]] if i < SPLITS.index(s2) else []) + corpus.get(s2, [])
            if not rows[s1] or not others:
                continue
            sim = near_duplicates([r["text"] for r in rows[s1]], others)
            for a, b in zip(*np.nonzero(sim > jaccard)):
                problems.append(f"{rows[s1][a]['where']}: sentence {rows[s1][a]['id']} ({s1}) is a near-duplicate "
                                f"(word 3-gram Jaccard {sim[a, b]:.2f}) of a {s2} sentence: {others[b][:80]!r}")
    for path in eval_files:
        if not Path(path).is_file() or not all_rows:
            continue
        texts = [json.loads(x)["text"] for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
        sim = near_duplicates([r["text"] for r in all_rows], texts)
        for a, b in zip(*np.nonzero(sim > eval_jaccard)):
            problems.append(f"{all_rows[a]['where']}: sentence {all_rows[a]['id']} echoes evaluation text in "
                            f"{path} (Jaccard {sim[a, b]:.2f}): rewrite it")
    return problems, statistics(built, rows, eval_files)


def _core(doc: dict) -> tuple:
    return (doc["id"], doc["register"], doc["date"], doc["text"],
            tuple((s["start"], s["end"], s["label"], s.get("secondary"), s.get("actor")) for s in doc["sentences"]))


def _lengths(texts) -> dict:
    w = np.array([len(t.split()) for t in texts]) if texts else np.array([0])
    return {q: int(np.percentile(w, p)) for q, p in (("p10", 10), ("median", 50), ("p90", 90))} | \
        {"over_40": round(float((w > 40).mean()), 3)}


def statistics(built: dict, rows: dict, eval_files) -> dict:
    docs = [d for s in SPLITS for d in built[s]]
    all_rows = [r for s in SPLITS for r in rows[s]]
    reference = {}
    for path in eval_files:
        if Path(path).is_file():
            reference[Path(path).stem] = _lengths([json.loads(x)["text"] for x in
                                                   Path(path).read_text(encoding="utf-8").splitlines() if x.strip()])
    return {
        "documents": {s: len(built[s]) for s in SPLITS},
        "sentences": {s: dict(Counter(r["label"] for r in rows[s])) for s in SPLITS},
        "by_register": {g: dict(Counter(r["label"] for r in all_rows if r["register"] == g)) for g in REGISTERS},
        "documents_by_register": dict(Counter(d["register"] for d in docs)),
        "decades": dict(sorted(Counter(f"{d['date'][:3]}0s" for d in docs).items())),
        "sentences_per_document": _lengths([" ".join(["x"] * len(d["sentences"])) for d in docs]),
        "length_words": {"documents": _lengths([r["text"] for r in all_rows]), **reference},
        "actors": len({r["actor"] for r in all_rows if r["actor"]}),
        "stance_free_documents": sum(all(s["label"] == "neutral" for s in d["sentences"]) for d in docs),
    }


def format_statistics(stats: dict) -> str:
    lines = ["| split | documents | " + " | ".join(LABELS) + " | sentences |", "|---|---|" + "---|" * (len(LABELS) + 1)]
    for s in SPLITS:
        c = stats["sentences"][s]
        lines.append(f"| {s} | {stats['documents'][s]} | " + " | ".join(str(c.get(n, 0)) for n in LABELS)
                     + f" | {sum(c.values())} |")
    lines += ["", "| register | documents | " + " | ".join(LABELS) + " |", "|---|---|" + "---|" * len(LABELS)]
    for g, c in stats["by_register"].items():
        total = sum(c.values()) or 1
        lines.append(f"| {g} | {stats['documents_by_register'].get(g, 0)} | "
                     + " | ".join(f"{c.get(n, 0) / total:.0%}" for n in LABELS) + " |")
    lines += ["", "Decades (documents): " + ", ".join(f"{d} {n}" for d, n in stats["decades"].items()),
              f"Sentences per document: p10 {stats['sentences_per_document']['p10']}, median "
              f"{stats['sentences_per_document']['median']}, p90 {stats['sentences_per_document']['p90']}; "
              f"documents with no stance: {stats['stance_free_documents']}; distinct stance holders: {stats['actors']}",
              "", "| sentence length (words) | p10 | median | p90 | share over 40 |", "|---|---|---|---|---|"]
    for name, w in stats["length_words"].items():
        lines.append(f"| {name} | {w['p10']} | {w['median']} | {w['p90']} | {w['over_40']:.0%} |")
    return "\n".join(lines)
