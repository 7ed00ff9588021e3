"""Hydra sweeps make one parent MLflow run with nested children; compare tabulates them."""

import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def sweep(tmp_path, store, data_dir, *overrides):
    proc = run_script("train", "-m", f"data.dir={data_dir}", f"tracking.uri={store['uri']}",
                      f"paths.models_dir={tmp_path}/models", f"hydra.sweep.dir={tmp_path}/multirun",
                      *overrides, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import mlflow

    mlflow.set_tracking_uri(store["uri"])
    runs = mlflow.search_runs(experiment_names=["train"])
    parents = runs[runs["tags.stage"] == "sweep"]
    assert len(parents) == 1
    parent = parents.iloc[0]
    children = runs[runs["tags.mlflow.parentRunId"] == parent["run_id"]]
    return proc, parent, children


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_grid_sweep_nests_children_under_a_parent(tmp_path, store, data_dir, launcher):
    extra = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"] if launcher == "joblib" else []
    _, parent, children = sweep(tmp_path, store, data_dir, "model=tfidf", "model.C=0.5,50", *extra)
    assert len(children) == 2
    names = {n.split("data.dir=")[0] + n.split(",", 1)[1] for n in children["tags.mlflow.runName"]}
    assert names == {"model.C=0.5,model=tfidf", "model.C=50,model=tfidf"}
    assert "model.C=0.5,50" in parent["params.sweep_overrides"]
    best = children.sort_values("metrics.best_validation_macro_f1", ascending=False).iloc[0]
    assert parent["metrics.best_validation_macro_f1"] == best["metrics.best_validation_macro_f1"]
    assert parent["tags.best_child_run_id"] in set(children["run_id"])
    if launcher != "basic":
        return  # compare reads the store the same way whatever launched the runs

    cmp = run_script("compare", "experiment=train", f"tracking.uri={store['uri']}",
                     f"hydra.run.dir={tmp_path}/cmp")
    assert cmp.returncode == 0, cmp.stderr[-3000:]
    table = (tmp_path / "cmp" / "compare.md").read_text()
    assert table.count("\n| ") == 1 + 2  # header + one row per job (the parent has no test score)
    header = next(line for line in table.splitlines() if line.startswith("| run"))
    assert "model.C" in header and "test_f1_threat" in header
    assert "data.dir" not in header  # same in every run: not a differing param
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 1000


def test_optuna_preset_runs_trials_as_nested_runs(tmp_path, store, data_dir, tiny_pretrained):
    proc, parent, children = sweep(tmp_path, store, data_dir, "hparams_search=optuna", "debug=fast",
                                   "hydra.sweeper.n_trials=2", f"model.pretrained={tiny_pretrained}")
    assert len(children) == 2
    assert parent["tags.sweeper"] == "OptunaSweeper"
    assert "Best value" in proc.stdout + proc.stderr
    assert children["params.optim.lr"].nunique() == 2
