import json
import subprocess
import sys
from pathlib import Path

import pytest

from stance.config import DEFAULT_LABELS
from stance.data.check import check_corpus, near_duplicates, statistics, targets
from stance.labels import LabelSet

ROOT = Path(__file__).resolve().parents[2]
LABELS = LabelSet(DEFAULT_LABELS)


def row(i, text, label="neutral", **kw):
    rec = {"id": f"r{i}", "text": text, "label": label, "secondary": None, "tags": [],
           "actor": "Chile", "topic": "water", "register": "wire"}
    rec.update(kw)
    return rec


def write_corpus(folder: Path, splits: dict) -> dict:
    paths = {}
    for split, rows in splits.items():
        paths[split] = folder / f"{split}.jsonl"
        paths[split].write_text("".join(json.dumps(r) + "\n" for r in rows))
    return paths


def test_clean_corpus_has_no_problems(tmp_path):
    paths = write_corpus(tmp_path, {
        "train": [row(1, "The ministry said talks would resume in Santiago on Monday."),
                  row(2, "Lima rejected the proposal outright, officials said.", "refusal", actor="Peru",
                      tags=["reported"])],
        "validation": [row(3, "Buenos Aires is ready to negotiate a new water treaty.", "openness")],
        "test": [row(4, "The dam poses no threat to farmers downstream, the engineers' union said.",
                     "reassurance", secondary="openness", tags=["two_stance"])],
    })
    report = check_corpus(paths, LABELS)
    assert report.problems == []
    stats = statistics(report.rows, LABELS)
    assert stats["rows"] == 4 and stats["by_label"]["neutral"] == 1
    assert stats["hard_share_by_split"] == {"test": 1.0, "train": 0.5, "validation": 0.0}
    assert not dict(targets(stats, LABELS))["at least 4,000 rows (4)"]


def test_problems_name_file_line_and_reason(tmp_path):
    leak = "Officials in Quito said the government would never accept the border ruling."
    paths = write_corpus(tmp_path, {
        "train": [row(1, leak, "refusal"), row(2, "Same text here again.", "neutral"),
                  row(3, "same text   HERE again.", "neutral"), row(4, "x", "maybe"),
                  row(5, "Fine text.", tags=["guess"])],
        "validation": [row(6, leak.replace("Quito", "Bogota"), "refusal"),
                       row(7, "Another sentence about tariffs.", secondary="threat"),
                       row(1, "A sentence that reuses an id.")],
        "test": [{"id": "t1", "text": "missing fields"}],
    })
    problems = "\n".join(check_corpus(paths, LABELS).problems)
    assert f"{paths['train']}:3: exact duplicate text (first at {paths['train']}:2)" in problems
    assert f"{paths['train']}:4: field 'label': unknown label 'maybe'" in problems
    assert f"{paths['train']}:5: field 'tags'" in problems
    assert f"{paths['validation']}:1: near-duplicate across splits" in problems
    assert f"{paths['validation']}:2: field 'tags': 'two_stance' must be present" in problems
    assert f"{paths['validation']}:3: duplicate id 'r1' (first at {paths['train']}:1)" in problems
    assert f"{paths['test']}:1: missing field(s)" in problems


def test_near_duplicates_is_jaccard_of_trigrams():
    sim = near_duplicates(["a b c d"], ["a b c e", "x y z w"])
    # trigrams {abc, bcd} vs {abc, bce}: 1 shared of 3
    assert sim[0, 0] == pytest.approx(1 / 3) and sim[0, 1] == 0


def test_project_corpus_passes_the_check():
    """The committed corpus in data/ has no schema errors, duplicates or cross-split leaks."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_data.py")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "no integrity problems" in proc.stdout
