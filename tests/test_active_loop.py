"""The user's loop end to end: train -> predict -> sample -> label -> ingest -> train again."""

import csv
import json

import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def test_sample_ingest_train_round_trip(tmp_path, store, data_dir, tiny_pretrained):
    common = [f"tracking.uri={store['uri']}", f"paths.models_dir={tmp_path}/models"]
    first = run_script("train", "model=tfidf", f"data.dir={data_dir}", *common, f"hydra.run.dir={tmp_path}/t1")
    assert first.returncode == 0 and "is champion" in first.stdout, first.stderr[-3000:]

    # the user's dump: one document per fixture sentence, two sentences each
    lines = [l for f in ("train", "test") for l in (data_dir / f"{f}.jsonl").read_text().splitlines()]
    texts = [json.loads(l)["text"] for l in lines]
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps({"id": f"d{i}", "text": f"{t} The talks went on."}) + "\n"
                            for i, t in enumerate(texts)))
    pred = tmp_path / "pred.jsonl"
    proc = run_script("predict", f"model={tmp_path}/models/latest", f"input={dump}", f"output={pred}",
                      f"hydra.run.dir={tmp_path}/p")
    assert proc.returncode == 0, proc.stderr[-3000:]

    proc = run_script("sample", f"input={pred}", f"output={tmp_path}/round1", "n=8",
                      f"hydra.run.dir={tmp_path}/s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sheet = tmp_path / "round1" / "to_label.csv"
    rows = list(csv.DictReader(sheet.open(newline="")))
    assert len(rows) == 8 and sum(r["text"] == "The talks went on." for r in rows) <= 1  # exact duplicates dropped
    gold = {json.loads(l)["text"]: json.loads(l)["label"] for l in lines}
    for r in rows:  # the labeller's work
        r["label"], r["labeller"] = gold.get(r["text"], "neutral"), "tester"
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    proc = run_script("ingest", f"input={sheet}", "name=mine", f"user_dir={tmp_path}/user", "validation_share=0.5",
                      f"hydra.run.dir={tmp_path}/i")
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = tmp_path / "user" / "mine" / "v1"
    n_train = len((version / "train.jsonl").read_text().splitlines())
    n_val = len((version / "validation.jsonl").read_text().splitlines())
    assert n_train + n_val == 8 and n_train and n_val

    second = run_script("train", f"model.pretrained={tiny_pretrained}", "debug=fast", f"data.dir={data_dir}",
                        f"data.extra_train=[{tmp_path}/user/mine]", f"data.extra_validation=[{tmp_path}/user/mine]",
                        *common, f"hydra.run.dir={tmp_path}/t2")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "v2 is challenger" in second.stdout and "validated on other data" in second.stdout

    import mlflow

    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    runs = {r.info.run_id: r for r in client.search_runs(client.get_experiment_by_name("train").experiment_id)}
    record = json.loads((tmp_path / "models" / "latest" / "metrics.json").read_text())
    run = runs[record["mlflow_run_id"]]
    assert run.data.tags["extra_train_0"].startswith(f"{version / 'train.jsonl'} (")
    assert run.data.tags["extra_validation_0"].startswith(f"{version / 'validation.jsonl'} (")
    assert run.data.params["data.extra_train"] == f"['{tmp_path}/user/mine']"
    train_input = [i for i in run.inputs.dataset_inputs if i.dataset.name == "both-train"][0]
    assert str(version / "train.jsonl") in train_input.dataset.source
