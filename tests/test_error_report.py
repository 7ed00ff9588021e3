"""The errors stage and evaluate on eval sets, as a user runs them (TF-IDF model: fast)."""

import csv

import numpy as np
import pytest
from datasets import Dataset

from conftest import FIXTURES, ROOT, run_script
from stance.error_report import error_rows, to_markdown
from stance.labels import LabelSet

LABELS = LabelSet(["refusal", "openness", "threat", "reassurance", "neutral"])


def test_error_rows_keep_only_wrong_predictions_with_probabilities_and_neighbours():
    data = Dataset.from_dict({"id": ["a", "b", "c"], "text": ["x", "y", "z"], "label": [0, 4, 2],
                              "group": ["g1", "g2", "g2"], "secondary": [-1, 2, -1]})
    proba = np.array([[0.9, 0, 0, 0, 0.1], [0, 0, 0.7, 0, 0.3], [0.6, 0, 0.4, 0, 0]])
    neighbours = (["t0", "t1"], np.array([2, 0]), np.array([[0, 1]] * 3), np.array([[0.9, 0.5]] * 3))
    rows = error_rows(data, proba, LABELS, neighbours)
    assert [r["id"] for r in rows] == ["b", "c"]
    assert rows[0]["gold"] == "neutral" and rows[0]["predicted"] == "threat" and rows[0]["secondary"] == "threat"
    assert rows[1]["p_refusal"] == pytest.approx(0.6) and rows[1]["nearest"][0] == ("t0", "threat", 0.9)
    md = to_markdown("set", rows, 3, LABELS, "m")
    assert "2 wrong of 3" in md and "## neutral → threat (1)" in md and "nearest train (threat, 0.90): t0" in md


@pytest.mark.integration
def test_evaluate_on_eval_sets_then_errors_report(tmp_path):
    fixtures = ROOT / "tests" / "fixtures"
    trained = run_script("train", "model=tfidf", f"data.dir={fixtures}", "tracking=none",
                         f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/t")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "realdev (16 sentences)" in trained.stdout and "by group: cables" in trained.stdout
    model = tmp_path / "models" / "latest"

    ev = run_script("evaluate", f"model={model}", "split=null", "eval_sets=[realdev,external]",
                    "tracking=none", f"hydra.run.dir={tmp_path}/e")
    assert ev.returncode == 0, ev.stderr[-3000:]
    assert "realdev:" in ev.stdout and "external:" in ev.stdout and "lenient macro-F1" in ev.stdout
    assert (tmp_path / "e" / "eval" / "realdev_reliability.png").is_file()

    missing = run_script("evaluate", f"model={model}", "split=null", "eval_sets=[realdev]",
                         f"paths.shared_dir={tmp_path}/nowhere", "tracking=none", f"hydra.run.dir={tmp_path}/m")
    assert missing.returncode == 2 and "nothing to evaluate" in missing.stderr

    err = run_script("errors", f"model={model}", f"data.dir={fixtures}", "nearest=2", "tracking=none",
                     f"paths.shared_dir={FIXTURES / 'shared'}", f"hydra.run.dir={tmp_path}/r")
    assert err.returncode == 0, err.stderr[-3000:]
    with (tmp_path / "r" / "realdev_errors.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["gold"] != r["predicted"] for r in rows)
    assert all(r["nearest"].count("||") == 1 for r in rows)  # two neighbours each
    assert f"{len(rows)} errors of 16 on realdev" in err.stdout


def test_document_matching_and_boundaries():
    from stance.document_eval import boundary_agreement, match

    gold = [(0, 10), (11, 20), (21, 30), (45, 60)]
    # the splitter merged gold 2 and 3, kept a "2. " prefix on gold 4, and split a heading (31, 40)
    predicted = [(0, 10), (11, 30), (31, 40), (42, 60)]
    assert match(gold, predicted) == [0, 1, 1, 3]
    assert boundary_agreement(gold, predicted) == (2, 4, 3)  # (31, 40) overlaps no gold sentence


@pytest.mark.integration
def test_eval_documents_runs_the_predict_path_on_documents(tmp_path):
    import json

    from stance.data.documents import parse_source

    src = ("=== d-1\nregister: cable\ndate: 1960-01-01\ntitle: t\n\n[-] SUBJECT: TALKS\n"
           "[neutral] {1.} The minister met the envoy on Tuesday.\n"
           "[refusal @Chile] He said Chile would not accept the proposal.\n\n"
           "[openness @Peru] {2.} Peru is ready to resume talks next month.\n")
    docs, problems = parse_source(src)
    assert not problems
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps(docs[0].to_record()) + "\n")
    fixtures = ROOT / "tests" / "fixtures"
    trained = run_script("train", "model=tfidf", f"data.dir={fixtures}", "tracking=none", "eval_sets=[]",
                         f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/t")
    assert trained.returncode == 0, trained.stderr[-3000:]
    ev = run_script("evaluate", f"model={tmp_path / 'models' / 'latest'}", "split=null", f"documents={path}",
                    "tracking=none", f"hydra.run.dir={tmp_path}/e")
    assert ev.returncode == 0, ev.stderr[-3000:]
    assert "documents-docs" in ev.stdout and "(3 sentences)" in ev.stdout
    assert "sentence splitting: 3 of 3 gold sentences found" in ev.stdout
    written = tmp_path / "e" / "eval" / "documents-docs_predictions.jsonl"
    rows = [json.loads(x) for x in written.read_text().splitlines()]
    assert any(r["text"] == "He said Chile would not accept the proposal." for r in rows)
