"""Champion/challenger promotion rules, the registry round trip and URI resolution."""

import json

import pytest

from conftest import run_script
from stance.tracking import decide_promotion


@pytest.mark.parametrize("f1, digest, champion, force, alias, why", [
    (0.8, "d1", None, False, "champion", "first version"),
    (0.9, "d1", ("3", 0.8, "d1"), False, "champion", "beats champion v3"),
    (0.7, "d1", ("3", 0.8, "d1"), False, "challenger", "does not beat champion v3"),
    (0.8, "d1", ("3", 0.8, "d1"), False, "challenger", "does not beat"),  # equal is not better
    (0.99, "d2", ("3", 0.8, "d1"), False, "challenger", "other data"),
    (0.1, "d2", ("3", 0.8, "d1"), True, "champion", "forced"),
])
def test_decide_promotion(f1, digest, champion, force, alias, why):
    got_alias, reason = decide_promotion(f1, digest, champion, force)
    assert got_alias == alias and why in reason




@pytest.mark.integration
def test_aliases_move_by_the_rules(tmp_path, store, data_dir):
    import mlflow

    def train(*extra):
        proc = run_script("train", "model=tfidf", f"data.dir={data_dir}", f"tracking.uri={store['uri']}",
                          f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/o", *extra)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout

    assert "v1 is champion: first version" in train()
    assert "v2 is challenger" in train()  # same data, same score: not better
    assert "v3 is champion: forced" in train("promote=force")
    (data_dir / "validation.jsonl").open("a").write(
        json.dumps({"text": "The ministry said the talks had ended.", "label": "neutral"}) + "\n")
    assert "validated on other data" in train("model.C=100")

    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    assert str(client.get_model_version_by_alias("stance-classifier", "champion").version) == "3"
    assert str(client.get_model_version_by_alias("stance-classifier", "challenger").version) == "4"
    run = client.get_run(client.get_model_version("stance-classifier", "2").run_id)
    assert run.data.tags["promotion"] == "challenger" and "does not beat" in run.data.tags["promotion_reason"]

    # evaluate and predict name the version they used
    ev = run_script("evaluate", "model=models:/stance-classifier@champion", f"data={data_dir}/test.jsonl",
                    f"tracking.uri={store['uri']}", f"hydra.run.dir={tmp_path}/ev")
    assert ev.returncode == 0, ev.stderr[-3000:]
    assert "Model: models:/stance-classifier/3 (run " in ev.stdout
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": "We reject the plan."}) + "\n")
    pr = run_script("predict", "model=models:/stance-classifier@challenger", f"input={inp}",
                    f"output={tmp_path}/p.jsonl", f"hydra.run.dir={tmp_path}/pr",
                    env={"MLFLOW_TRACKING_URI": store["uri"]})
    assert pr.returncode == 0, pr.stderr[-3000:]
    summary = json.loads((tmp_path / "p.jsonl.summary.json").read_text())
    assert summary["model"].startswith("models:/stance-classifier/4 (run ")

    bad = run_script("evaluate", "model=models:/stance-classifier@nobody", f"tracking.uri={store['uri']}",
                     f"hydra.run.dir={tmp_path}/ev2")
    assert bad.returncode == 2 and "cannot load MLflow model" in bad.stderr
