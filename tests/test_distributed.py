"""The train stage under torchrun: 2 CPU processes (gloo), one run tracked, one model saved."""

import json
import os
import socket
import subprocess
import sys

import mlflow
import pytest

from conftest import ROOT

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_cpu_processes(tmp_path, store, data_dir, tiny_pretrained):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
           f"--master_port={free_port()}", str(ROOT / "scripts" / "train.py"),
           f"model.pretrained={tiny_pretrained}", "debug=fast", f"data.dir={data_dir}", "trainer.max_steps=6",
           f"tracking.uri={store['uri']}", f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/o"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    models = [p for p in (tmp_path / "models").iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(models) == 1, "only rank 0 saves"
    record = json.loads((models[0] / "metrics.json").read_text())
    assert record["summary"]["world_size"] == 2, "the Trainer ran data-parallel over 2 processes"
    client = mlflow.MlflowClient(tracking_uri=store["uri"])
    exp = client.get_experiment_by_name("train")
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1 and runs[0].data.tags["world_size"] == "2", "only rank 0 tracks"
