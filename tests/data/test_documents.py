import json

import pytest

from stance.data.documents import assign_split, parse_source, read_sources, sentence_rows
from stance.data.load import load_documents
from stance.errors import StanceError
from stance.labels import LabelSet

LABELS = LabelSet(["refusal", "openness", "threat", "reassurance", "neutral"])

SOURCE = """=== cable-001
register: cable
date: 1956-10-03
title: Canal talks
countries: Egypt; United Kingdom

[-] SUBJECT: CANAL TALKS
[neutral] {1.} FonMin called in Ambassador this morning.
[refusal +threat @Egypt] He said GOE sees no basis for talks under pressure from Mr. Lloyd.

[openness @Egypt] {2.} Egyptians would however receive envoy next month.
=== wire-002
register: wire
date: 2001-05-04
title: Second
countries: Chile

[neutral] SANTIAGO, May 4 (Wire) - The talks ended.
"""


def test_offsets_cut_each_sentence_out_of_the_document_text():
    docs, problems = parse_source(SOURCE, "s.txt")
    assert problems == []
    doc = docs[0]
    assert doc.text.startswith("SUBJECT: CANAL TALKS\n1. FonMin called")
    assert "\n\n2. Egyptians" in doc.text  # paragraph break, then the prefix
    cut = [doc.text[s.start:s.end] for s in doc.sentences]
    assert cut == ["FonMin called in Ambassador this morning.",
                   "He said GOE sees no basis for talks under pressure from Mr. Lloyd.",
                   "Egyptians would however receive envoy next month."]
    second = doc.sentences[1]
    assert (second.label, second.secondary, second.actor) == ("refusal", "threat", "Egypt")
    assert docs[1].countries == ["Chile"] and docs[1].register == "wire"


@pytest.mark.parametrize("line, reason", [
    ("[bogus] Hello there.", "unknown label"),
    ("[neutral] no final stop", "ends in"),
    ("[neutral] One sentence. Another sentence.", "two sentences"),
    ("[refusal +neutral] It refused.", "secondary"),
    ("no brackets at all.", "starts with [label]"),
])
def test_each_problem_names_file_line_and_reason(line, reason):
    text = "=== d-1\nregister: wire\ndate: 2000-01-01\ntitle: t\n\n[neutral] Fine.\n" + line + "\n"
    _, problems = parse_source(text, "f.txt")
    assert len(problems) == 1 and problems[0].startswith("f.txt:7:") and reason in problems[0]


def test_header_problems_and_duplicate_ids(tmp_path):
    bad = "=== d-1\nregister: novel\ndate: 1999\ntitle: t\n\n[neutral] Fine.\n"
    (tmp_path / "a.txt").write_text(bad)
    (tmp_path / "b.txt").write_text(bad.replace("novel", "wire").replace("1999", "1999-01-01"))
    _, problems = read_sources(tmp_path)
    text = "\n".join(problems)
    assert "register 'novel'" in text and "date '1999'" in text and "already used" in text


def test_split_is_by_document_and_stable():
    splits = [assign_split(f"doc-{i}") for i in range(2000)]
    assert splits == [assign_split(f"doc-{i}") for i in range(2000)]
    share = splits.count("train") / len(splits)
    assert 0.76 < share < 0.84 and splits.count("test") > 150 and splits.count("validation") > 150


def test_load_documents_reads_sentences_and_rejects_bad_offsets(tmp_path):
    docs, _ = parse_source(SOURCE, "s.txt")
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(d.to_record()) + "\n" for d in docs))
    ds = load_documents(path, LABELS)
    assert len(ds) == 4 and ds["id"][0] == "cable-001-s01"
    assert ds["text"][3] == "SANTIAGO, May 4 (Wire) - The talks ended."
    assert ds["tags"][0] == ["doc_cable"] and LABELS.to_name(ds["label"][1]) == "refusal"
    assert [r["text"] for r in sentence_rows(docs[0].to_record())] == ds["text"][:3]
    rec = docs[0].to_record()
    rec["sentences"][0]["end"] = len(rec["text"]) + 5
    path.write_text(json.dumps(rec) + "\n")
    with pytest.raises(StanceError, match=r"train.jsonl:1.*outside the text"):
        load_documents(path, LABELS)
