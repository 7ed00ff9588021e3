"""The sample stage on a predict output: dedup, skip labelled, strategies, the files written."""

import csv
import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from stance import sample
from stance.config import PathsConfig, SampleConfig
from stance.errors import StanceError
from stance.labeling.userdata import write_version

LABELS = ["refusal", "openness", "threat", "reassurance", "neutral"]
WORDS = "talks sanctions treaty border envoy summit ceasefire tariff pipeline vote".split()


def predictions(n_docs=12, per_doc=5, seed=0) -> pd.DataFrame:
    """A predict output: distinct sentences, one exact and one near duplicate, a fragment."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_docs):
        for s in range(per_doc):
            w = [WORDS[(d + k * s + k) % 10] for k in range(4)]
            text = f"In document {d} sentence {s} the {w[0]} about {w[1]} met {w[2]} over {w[3]} today."
            rows.append({"id": f"doc{d}:{s}", "doc_id": f"doc{d}", "sent_idx": s, "text": text})
    rows.append({**rows[3], "id": "copy:0", "doc_id": "copy", "sent_idx": 0})  # exact duplicate
    rows.append({**rows[8], "id": "near:0", "doc_id": "near", "sent_idx": 0,
                 "text": rows[8]["text"].replace("today", "yesterday")})
    rows.append({"id": "frag:0", "doc_id": "frag", "sent_idx": 0, "text": "Read more."})
    proba = rng.dirichlet(np.ones(5) * 0.7, size=len(rows))
    proba[8] = proba[-2] = [0.3, 0.3, 0.2, 0.1, 0.1]  # the near-duplicate pair: the most uncertain
    frame = pd.DataFrame(rows)
    frame["label"] = [LABELS[i] for i in proba.argmax(1)]
    frame["score"] = proba.max(1)
    for j, n in enumerate(LABELS):
        frame[f"p_{n}"] = proba[:, j]
    return frame


def cfg(tmp_path, input, out="round1", **kw):
    return OmegaConf.structured(SampleConfig(paths=PathsConfig(root=str(tmp_path)), input=str(input),
                                             output=str(tmp_path / out), **kw))


def test_uncertainty_sample_writes_csv_label_studio_tasks_and_config(tmp_path):
    pred = tmp_path / "pred.parquet"
    predictions().to_parquet(pred)
    (tmp_path / "pred.parquet.summary.json").write_text(json.dumps({"model": "models:/stance-classifier/2"}))
    out = sample.run(cfg(tmp_path, pred, n=10))
    with (out / "to_label.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10 and rows[0]["id"] == "doc1:3"  # the most uncertain first
    assert "near:0" not in [r["id"] for r in rows]  # the near-duplicate of doc1:3
    assert all(r["label"] == "" for r in rows) and rows[0]["predicted"] == "refusal"
    assert float(rows[0]["uncertainty"]) >= float(rows[-1]["uncertainty"])
    assert rows[0]["context_before"].startswith("In document 1 sentence 2 ")
    assert rows[0]["context_after"].startswith("In document 1 sentence 4 ")
    tasks = json.loads((out / "tasks.json").read_text())
    assert [t["data"]["sentence_id"] for t in tasks] == [r["id"] for r in rows]
    assert tasks[0]["data"]["doc_id"] == "doc1" and "p_neutral" in tasks[0]["data"]
    assert ET.fromstring((out / "label_config.xml").read_text()).find(".//Choices") is not None
    manifest = json.loads((out / "sample.json").read_text())
    assert manifest["model"] == "models:/stance-classifier/2" and manifest["picked"] == 10
    assert manifest["counts"] == {"rows_in": 63, "too_short": 1, "exact_duplicates": 1, "already_labelled": 0}
    assert manifest["mean_uncertainty"]["picked"] > manifest["mean_uncertainty"]["pool"]
    with pytest.raises(StanceError, match="output folder exists"):
        sample.run(cfg(tmp_path, pred, n=10))


def test_labelled_sentences_are_skipped_and_strategies_differ(tmp_path):
    frame = predictions()
    pred = tmp_path / "pred.jsonl"
    frame.to_json(pred, orient="records", lines=True)
    first = sample.run(cfg(tmp_path, pred, n=10))
    labelled = [{"id": r["id"], "text": r["text"], "label": "neutral", "split": "train"}
                for r in csv.DictReader((first / "to_label.csv").open(newline=""))]
    write_version(tmp_path / "user" / "mine", labelled, {"source": "test"})
    again = sample.run(cfg(tmp_path, pred, "round2", n=10, labelled=[str(tmp_path / "user" / "mine")]))
    second = {r["id"] for r in csv.DictReader((again / "to_label.csv").open(newline=""))}
    assert not second & {r["id"] for r in labelled}
    assert json.loads((again / "sample.json").read_text())["counts"]["already_labelled"] == 10
    strat = sample.run(cfg(tmp_path, pred, "strat", n=10, strategy="stratified"))
    predicted = [r["predicted"] for r in csv.DictReader((strat / "to_label.csv").open(newline=""))]
    assert max(predicted.count(n) for n in LABELS) <= 3  # two per predicted label when all are there


def test_diverse_sample_with_the_tiny_encoder(tmp_path, tiny_pretrained):
    pred = tmp_path / "pred.csv"
    predictions().to_csv(pred, index=False)
    out = sample.run(cfg(tmp_path, pred, n=6, strategy="diverse", candidates=4, embedder=str(tiny_pretrained)))
    rows = list(csv.DictReader((out / "to_label.csv").open(newline="")))
    assert len(rows) == 6 and len({r["id"] for r in rows}) == 6 and rows[0]["strategy"] == "diverse"


def test_not_a_predict_output(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"id": "1", "text": "A sentence."}) + "\n")
    with pytest.raises(StanceError, match="not a predict output"):
        sample.run(cfg(tmp_path, bad))
    with pytest.raises(StanceError, match="strategy='best'"):
        sample.run(cfg(tmp_path, bad, strategy="best"))
