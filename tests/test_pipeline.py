"""train -> evaluate -> predict end to end, as a user runs them, with a tiny random model."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def common(tmp_path: Path, store: dict) -> list[str]:
    return [f"tracking.uri={store['uri']}", f"paths.models_dir={tmp_path}/models",
            f"hydra.run.dir={tmp_path}/outputs/${{now:%H-%M-%S-%f}}"]


def train_tiny(tmp_path, store, data_dir, tiny_pretrained, *extra):
    proc = run_script("train", f"model.pretrained={tiny_pretrained}", "debug=fast",
                      f"data.dir={data_dir}", "trainer.max_steps=6", *common(tmp_path, store), *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_train_evaluate_predict(tmp_path, store, data_dir, tiny_pretrained):
    proc = train_tiny(tmp_path, store, data_dir, tiny_pretrained, "trainer.class_weights=true")
    assert "macro-F1" in proc.stdout and "MLflow run" in proc.stdout
    assert "realdev (" in proc.stdout  # the eval sets are scored at the end

    latest = tmp_path / "models" / "latest"
    assert latest.is_symlink()
    files = {p.name for p in latest.iterdir()}
    assert {"model.safetensors", "config.json", "stance_model.json", "config.yaml",
            "metrics.json"} <= files
    assert not any(name.endswith(".bin") for name in files)  # safetensors only
    hf_config = json.loads((latest / "config.json").read_text())
    assert hf_config["id2label"]["0"] == "refusal" and hf_config["label2id"]["neutral"] == 4
    record = json.loads((latest / "metrics.json").read_text())
    run_id = record["mlflow_run_id"]

    # the MLflow run: params, curves, artifacts, inputs, registered model
    import mlflow

    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    assert run.data.params["model.pretrained"] == str(tiny_pretrained)
    assert run.data.params["trainer.class_weights"] == "True"
    assert "test_macro_f1" in run.data.metrics and "f1_threat" not in run.data.metrics
    assert "test_f1_threat" in run.data.metrics
    assert len(client.get_metric_history(run_id, "loss")) >= 2
    assert run.data.tags["data_digest"] == record["data_digest"]
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"eval", ".hydra", "config.yaml"} <= artifacts
    assert {a.path for a in client.list_artifacts(run_id, "eval")} >= {
        "eval/test_confusion_matrix.png", "eval/test_misclassified.csv",
        "eval/test_classification_report.txt"}
    assert {i.dataset.name for i in run.inputs.dataset_inputs} >= {"both-train", "both-test"}
    versions = client.search_model_versions("name='stance-classifier'")
    assert [v.run_id for v in versions] == [run_id]

    # the logged model is a pyfunc that returns label + probabilities
    model = mlflow.pyfunc.load_model(f"models:/stance-classifier/{versions[0].version}")
    out = model.predict(["The minister rejected the offer.", "Talks resume on Monday."])
    assert list(out.columns[:2]) == ["label", "score"] and len(out) == 2
    assert abs(out.filter(like="p_").sum(axis=1) - 1).max() < 1e-4

    # evaluate: a folder and an MLflow URI, on a labelled file
    for ref in (str(latest), f"models:/stance-classifier/{versions[0].version}"):
        ev = run_script("evaluate", f"model={ref}", f"data={data_dir}/test.jsonl",
                        *common(tmp_path, store)[:1], f"hydra.run.dir={tmp_path}/ev")
        assert ev.returncode == 0, ev.stderr[-3000:]
        assert "macro-F1" in ev.stdout and "MLflow run" in ev.stdout
    assert "models:/stance-classifier/1 (run " in ev.stdout

    # predict: JSONL in, Parquet out, sentence split with offsets
    docs = tmp_path / "news.jsonl"
    texts = ["Officials said on Monday that talks would resume. The minister declined to comment.",
             "Dr. Lee of the U.S. delegation welcomed the offer."]
    docs.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    out_file = tmp_path / "pred.parquet"
    pr = run_script("predict", f"model={latest}", f"input={docs}", f"output={out_file}",
                    f"hydra.run.dir={tmp_path}/pr")
    assert pr.returncode == 0, pr.stderr[-3000:]
    # nothing but our summary: no library warnings or progress bars a user can do nothing about
    lines = pr.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("2 documents -> 3 rows"), pr.stderr
    rows = pd.read_parquet(out_file)
    assert rows["doc_id"].tolist() == ["d0", "d0", "d1"]
    assert rows["sent_idx"].tolist() == [0, 1, 0]
    for _, r in rows.iterrows():
        assert texts[int(r["doc_id"][1])][r["start"]:r["end"]] == r["text"]
    assert set(rows["label"]) <= {"refusal", "openness", "threat", "reassurance", "neutral"}
    assert (rows["score"] == rows[[c for c in rows if c.startswith("p_")]].max(axis=1)).all()

    # segment=false, CSV in and out
    csv_in = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a", "b"], "body": texts}).to_csv(csv_in, index=False)
    pr = run_script("predict", f"input={csv_in}", f"output={tmp_path}/p.csv", "segment=false",
                    "text_field=body", f"model={latest}", f"hydra.run.dir={tmp_path}/pr2")
    assert pr.returncode == 0, pr.stderr[-3000:]
    assert pd.read_csv(tmp_path / "p.csv")["id"].tolist() == ["a", "b"]


def test_same_seed_same_metrics(tmp_path, store, data_dir, tiny_pretrained):
    results = []
    for i in range(2):
        train_tiny(tmp_path, store, data_dir, tiny_pretrained, "seed=7", f"run_name=seed-{i}")
        metrics = json.loads((tmp_path / "models" / "latest" / "metrics.json").read_text())["metrics"]
        results.append({k: v for k, v in metrics.items() if k.startswith("test_")})
    assert results[0] == results[1]


def test_tfidf_baseline_goes_through_the_same_stages(tmp_path, store, data_dir):
    proc = run_script("train", "model=tfidf", f"data.dir={data_dir}", *common(tmp_path, store))
    assert proc.returncode == 0, proc.stderr[-3000:]
    latest = tmp_path / "models" / "latest"
    assert json.loads((latest / "stance_model.json").read_text())["family"] == "tfidf"
    ev = run_script("evaluate", f"model={latest}", f"data={data_dir}/validation.jsonl",
                    "tracking=none", f"hydra.run.dir={tmp_path}/ev")
    assert ev.returncode == 0, ev.stderr[-3000:]
