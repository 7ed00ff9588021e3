"""Corpus check: schema, labels, duplicates, cross-split leakage, and the statistics.

`python scripts/check_data.py` prints the statistics and exits non-zero with file,
line and reason for every integrity problem. `--datasheet` rewrites the generated
section of data/DATASHEET.md from the same numbers.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from stance.labels import LabelSet

REGISTERS = ("wire", "statement", "cable", "encyclopedic", "analysis")
TAGS = ("negation", "conditional", "denial", "reported", "two_stance", "trap_word", "implicit")
FIELDS = ("id", "text", "label", "secondary", "tags", "actor", "topic", "register")
NEUTRAL = "neutral"


@dataclass
class Row:
    split: str
    where: str
    rec: dict


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(f"{where}: {reason}")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def json_records(path: Path, problem: Callable[[str, str], None]) -> Iterator[tuple[str, dict]]:
    """(file:line, record) for each non-blank line of a JSONL file; a malformed line or one
    that is not an object goes to `problem(where, reason)` instead."""
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path}:{line_no}"
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problem(where, f"malformed JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict):
            problem(where, "not a JSON object")
            continue
        yield where, rec


def read_split(path: Path, split: str, labels: LabelSet, report: Report) -> None:
    if not path.is_file():
        report.problem(str(path), "file not found")
        return
    for where, rec in json_records(path, report.problem):
        if _check_schema(rec, where, labels, report):
            report.rows.append(Row(split, where, rec))


def _check_schema(rec: dict, where: str, labels: LabelSet, report: Report) -> bool:
    ok = True

    def bad(reason):
        nonlocal ok
        ok = False
        report.problem(where, reason)

    missing, extra = set(FIELDS) - set(rec), set(rec) - set(FIELDS)
    if missing:
        bad(f"missing field(s) {sorted(missing)}")
        return False
    if extra:
        bad(f"unexpected field(s) {sorted(extra)}")
    for key in ("id", "text", "actor", "topic"):
        if not isinstance(rec[key], str) or not rec[key].strip():
            bad(f"field {key!r} must be a non-empty string")
    if rec["label"] not in labels.names:
        bad(f"field 'label': unknown label {rec['label']!r} (allowed: {', '.join(labels.names)})")
    sec = rec["secondary"]
    if sec is not None and (sec not in labels.names or sec == NEUTRAL or sec == rec["label"]):
        bad(f"field 'secondary': {sec!r} must be null or a stance label other than the primary")
    if rec["register"] not in REGISTERS:
        bad(f"field 'register': {rec['register']!r} not in {REGISTERS}")
    tags = rec["tags"]
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        bad(f"field 'tags': {tags!r} must be a list drawn from {TAGS}")
    elif ("two_stance" in tags) != (sec is not None):
        bad("field 'tags': 'two_stance' must be present exactly when 'secondary' is set")
    return ok


def near_duplicates(texts_a: list[str], texts_b: list[str], n: int = 3) -> np.ndarray:
    """Jaccard similarity of word n-gram sets between every a and every b (dense a x b)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(ngram_range=(n, n), binary=True, lowercase=True, token_pattern=r"[\w']+")
    vec.fit(texts_a + texts_b)
    a, b = vec.transform(texts_a), vec.transform(texts_b)
    inter = (a @ b.T).toarray().astype(np.float32)
    size_a = np.asarray(a.sum(1)).ravel()[:, None]
    size_b = np.asarray(b.sum(1)).ravel()[None, :]
    union = size_a + size_b - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def check_corpus(paths: dict[str, Path], labels: LabelSet, jaccard: float = 0.5) -> Report:
    report = Report()
    for split, path in paths.items():
        read_split(path, split, labels, report)
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for row in report.rows:
        rid, text = row.rec["id"], normalise(row.rec["text"])
        if rid in seen_ids:
            report.problem(row.where, f"duplicate id {rid!r} (first at {seen_ids[rid]})")
        seen_ids.setdefault(rid, row.where)
        if text in seen_texts:
            report.problem(row.where, f"exact duplicate text (first at {seen_texts[text]})")
        seen_texts.setdefault(text, row.where)
    by_split = defaultdict(list)
    for row in report.rows:
        by_split[row.split].append(row)
    splits = list(by_split)
    for i, s1 in enumerate(splits):
        for s2 in splits[i + 1:]:
            sim = near_duplicates([r.rec["text"] for r in by_split[s1]], [r.rec["text"] for r in by_split[s2]])
            for a, b in zip(*np.nonzero(sim > jaccard)):
                report.problem(by_split[s2][b].where,
                               f"near-duplicate across splits (word 3-gram Jaccard {sim[a, b]:.2f}) "
                               f"of {by_split[s1][a].where}")
    return report


def statistics(rows: list[Row], labels: LabelSet) -> dict:
    """Everything the DATASHEET reports, computed from the rows."""
    recs = [r.rec for r in rows]
    words = np.array([len(r["text"].split()) for r in recs]) if recs else np.array([0])
    out: dict = {"rows": len(recs)}
    out["by_split_label"] = {s: dict(Counter(r.rec["label"] for r in rows if r.split == s))
                             for s in sorted({r.split for r in rows})}
    out["by_label"] = dict(Counter(r["label"] for r in recs))
    out["length_words"] = {q: int(np.percentile(words, p)) for q, p in
                           (("min", 0), ("p10", 10), ("median", 50), ("p90", 90), ("max", 100))}
    out["actors"] = len({r["actor"] for r in recs})
    out["topics"] = len({r["topic"] for r in recs})
    per_label = {}
    for name in labels.names:
        sub = [r for r in recs if r["label"] == name]
        if not sub:
            continue
        n = len(sub)
        actor, a_count = Counter(r["actor"] for r in sub).most_common(1)[0]
        topic, t_count = Counter(r["topic"] for r in sub).most_common(1)[0]
        per_label[name] = {
            "rows": n,
            "registers": {g: round(sum(r["register"] == g for r in sub) / n, 3) for g in REGISTERS},
            "top_actor": [actor, round(a_count / n, 3)],
            "top_topic": [topic, round(t_count / n, 3)],
            "hard_share": round(sum(bool(r["tags"]) for r in sub) / n, 3),
        }
    out["per_label"] = per_label
    out["hard_share_by_split"] = {
        s: round(sum(bool(r.rec["tags"]) for r in rows if r.split == s)
                 / max(1, sum(r.split == s for r in rows)), 3)
        for s in sorted({r.split for r in rows})}
    out["tags"] = dict(Counter(t for r in recs for t in r["tags"]).most_common())
    out["topics_list"] = dict(Counter(r["topic"] for r in recs).most_common())
    out["registers"] = dict(Counter(r["register"] for r in recs).most_common())
    out["secondary"] = sum(r["secondary"] is not None for r in recs)
    return out


def targets(stats: dict, labels: LabelSet) -> list[tuple[str, bool]]:
    """The corpus issue's targets, each with whether it is met."""
    per = stats["per_label"]
    t = [(f"at least 4,000 rows ({stats['rows']})", stats["rows"] >= 4000)]
    for name in labels.names:
        need = 1200 if name == NEUTRAL else 600
        have = stats["by_label"].get(name, 0)
        t.append((f"{name}: at least {need} ({have})", have >= need))
    lw = stats["length_words"]
    t.append((f"median length 20-30 words ({lw['median']}), range 6-60 ({lw['min']}-{lw['max']})",
              20 <= lw["median"] <= 30 and lw["min"] >= 6 and lw["max"] <= 60))
    low = min(share for p in per.values() for share in p["registers"].values()) if per else 0
    t.append((f"every register at least 10% of every label (lowest {low:.1%})", low >= 0.10))
    t.append((f"at least 60 actors ({stats['actors']})", stats["actors"] >= 60))
    t.append((f"at least 12 topics ({stats['topics']})", stats["topics"] >= 12))
    top_a = max((p["top_actor"][1] for p in per.values()), default=1)
    top_t = max((p["top_topic"][1] for p in per.values()), default=1)
    t.append((f"no actor above 10% of a label (highest {top_a:.1%})", top_a <= 0.10))
    t.append((f"no topic above 10% of a label (highest {top_t:.1%})", top_t <= 0.10))
    hard = min(stats["hard_share_by_split"].values(), default=0)
    t.append((f"hard cases at least 25% of every split (lowest {hard:.1%})", hard >= 0.25))
    return t


def format_statistics(stats: dict, labels: LabelSet) -> str:
    lines = [f"Rows: {stats['rows']}", "", "| split | " + " | ".join(labels.names) + " | total |",
             "|---|" + "---|" * (len(labels) + 1)]
    for split, counts in stats["by_split_label"].items():
        lines.append(f"| {split} | " + " | ".join(str(counts.get(n, 0)) for n in labels.names)
                     + f" | {sum(counts.values())} |")
    lw = stats["length_words"]
    lines += ["", f"Length in words: min {lw['min']}, p10 {lw['p10']}, median {lw['median']}, "
                  f"p90 {lw['p90']}, max {lw['max']}",
              f"Distinct actors: {stats['actors']}; topics: {stats['topics']}; rows with a "
              f"secondary stance: {stats['secondary']}", "",
              "| label | " + " | ".join(REGISTERS) + " | top actor | top topic | hard cases |",
              "|---|" + "---|" * (len(REGISTERS) + 3)]
    for name, p in stats["per_label"].items():
        lines.append(f"| {name} | " + " | ".join(f"{p['registers'][g]:.0%}" for g in REGISTERS)
                     + f" | {p['top_actor'][0]} {p['top_actor'][1]:.1%} | {p['top_topic'][0]} "
                       f"{p['top_topic'][1]:.1%} | {p['hard_share']:.0%} |")
    lines += ["", "Hard-case share by split: " + ", ".join(
        f"{s} {v:.0%}" for s, v in stats["hard_share_by_split"].items()),
              "Tags: " + ", ".join(f"{t} {n}" for t, n in stats["tags"].items()),
              "Topics: " + ", ".join(f"{t} {n}" for t, n in stats["topics_list"].items()), "",
              "Targets:"]
    lines += [f"- [{'x' if ok else ' '}] {text}" for text, ok in targets(stats, labels)]
    return "\n".join(lines)
