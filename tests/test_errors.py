"""Bad input ends with one clear line and a non-zero exit, before expensive work."""

import json

import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
    assert len(lines) == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_unknown_label_in_training_data(tmp_path, data_dir):
    (data_dir / "train.jsonl").open("a").write(json.dumps({"text": "A sentence.", "label": "angry"}) + "\n")
    proc = run_script("train", "model=tfidf", f"data.dir={data_dir}", "tracking=none",
                      f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/o")
    one_line_error(proc, "train.jsonl:21", "unknown label 'angry'")
    assert not (tmp_path / "models").exists()  # nothing written


def test_missing_data_file(tmp_path):
    proc = run_script("train", "model=tfidf", f"data.dir={tmp_path}/nowhere", "tracking=none",
                      f"hydra.run.dir={tmp_path}/o")
    one_line_error(proc, "nowhere/train.jsonl", "file not found")


def test_missing_model_folder(tmp_path):
    proc = run_script("evaluate", f"model={tmp_path}/no-model", "tracking=none",
                      f"hydra.run.dir={tmp_path}/o")
    one_line_error(proc, "no-model", "model not found")


def test_unreachable_tracking_server(tmp_path, data_dir):
    proc = run_script("train", "model=tfidf", f"data.dir={data_dir}", "tracking.uri=http://127.0.0.1:9",
                      "tracking.connect_timeout_s=2", f"hydra.run.dir={tmp_path}/o",
                      f"paths.models_dir={tmp_path}/models")
    one_line_error(proc, "not reachable")
    assert not (tmp_path / "models").exists()


def test_typo_in_a_key_fails_with_hydras_message(tmp_path):
    proc = run_script("train", "trainer.max_epoch=3", f"hydra.run.dir={tmp_path}/o")
    assert proc.returncode != 0
    assert "max_epoch" in proc.stderr and "Traceback" not in proc.stderr
