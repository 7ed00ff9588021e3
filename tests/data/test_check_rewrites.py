"""The register-rewrite check: label kept from the source, a new register, no leak into
held-out or evaluation text."""

import json

from stance.config import DEFAULT_LABELS
from stance.data.check_rewrites import check_rewrites
from stance.labels import LabelSet

SOURCE = {"id": "s1", "text": "The ministry rejected the proposal outright on Monday, officials said.",
          "label": "refusal", "secondary": None, "tags": [], "actor": "X", "topic": "t", "register": "wire"}


def _row(i, text, label="refusal", register="cable", source_id="s1"):
    return {"id": f"rw-{i}", "text": text, "label": label, "secondary": None, "tags": ["rewrite"],
            "actor": "X", "topic": "t", "register": register, "source_id": source_id}


def _check(tmp_path, rows, held_out=(), eval_texts=()):
    path = tmp_path / "rewrites.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evals = tmp_path / "realdev.jsonl"
    evals.write_text("".join(json.dumps({"text": t}) + "\n" for t in eval_texts))
    return check_rewrites(path, {SOURCE["id"]: SOURCE}, list(held_out), [evals],
                          LabelSet(DEFAULT_LABELS))


def test_a_clean_rewrite_passes_and_is_counted(tmp_path):
    problems, stats = _check(tmp_path, [_row(1, "2. (C) FonMin told Emb GOX rejects proposal, will not discuss it.")])
    assert problems == [] and stats == {"rows": 1, "labels": {"refusal": 1}, "registers": {"cable": 1}}


def test_problems_name_the_line_and_the_field(tmp_path):
    rows = [_row(1, "In 2001 the ministry turned the proposal down.", label="threat"),
            _row(2, "Officials said the ministry would weigh the idea.", register="wire"),
            _row(3, "QUESTION: Is the proposal dead? MR. X: It is, we said no.", source_id="nope"),
            _row(3, "2. (C) FonMin said GOX will never accept the plan as drafted by the mediators.")]
    leaked = "FonMin said GOX will never accept the plan as drafted by the mediators last week"
    problems, _ = _check(tmp_path, rows, held_out=[leaked], eval_texts=[leaked])
    text = "\n".join(problems)
    assert "rewrites.jsonl:1: field 'label': 'threat', but its source s1 is 'refusal'" in text
    assert "rewrites.jsonl:2: field 'register': 'wire' is its source's register" in text
    assert "rewrites.jsonl:3: field 'source_id': 'nope' is not a training sentence" in text
    assert "rewrites.jsonl:4: duplicate id 'rw-3'" in text
    assert "rewrites.jsonl:4: rewrite rw-3 is a near-duplicate" in text and "validation or test" in text
    assert "evaluation text in" in text
