import json
import time

import pytest
from omegaconf import OmegaConf

from stance.errors import StanceError
from stance.tracking import MAX_KEY, MAX_VALUE, check_reachable, flatten


def test_flatten_dotted_keys():
    cfg = {"model": {"name": "minilm", "max_length": 128}, "labels": ["a", "b"], "seed": 1,
           "empty": {}}
    assert flatten(cfg) == {"model.name": "minilm", "model.max_length": "128",
                            "labels": "['a', 'b']", "seed": "1", "empty": "{}"}


def test_flatten_respects_mlflow_limits():
    cfg = {"k" * 400: "v", "long": "x" * 10_000}
    flat = flatten(cfg)
    assert all(len(k) <= MAX_KEY for k in flat)
    assert all(len(v) <= MAX_VALUE for v in flat.values())
    assert len(flat) == 2


def test_flatten_accepts_omegaconf_containers():
    cfg = OmegaConf.to_container(OmegaConf.create({"a": {"b": 1}}))
    assert flatten(cfg) == {"a.b": "1"}


def test_unreachable_server_fails_fast():
    started = time.time()
    with pytest.raises(StanceError, match="not reachable"):
        check_reachable("http://127.0.0.1:9", timeout_s=2)
    assert time.time() - started < 10


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`mlflow server` on a free loopback port (1 worker, no job runner), over a store folder."""

    def __init__(self, store):
        import os
        import subprocess
        import sys
        import urllib.request
        from pathlib import Path

        self.url = f"http://127.0.0.1:{_free_port()}"
        mlflow_bin = Path(sys.executable).with_name("mlflow")
        self.proc = subprocess.Popen(
            [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", self.url.rsplit(":", 1)[1],
             "--workers", "1", "--backend-store-uri", f"sqlite:///{store}/mlflow.db",
             "--artifacts-destination", str(store / "mlartifacts")],
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=2).read()
                return
            except OSError as err:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.kill()
                    raise RuntimeError(f"mlflow server did not start (exit {self.proc.poll()})") from err
                time.sleep(0.3)

    def kill(self) -> None:
        import os
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@pytest.mark.integration
def test_server_killed_mid_run_keeps_the_model_and_sync_pushes_the_rest(tmp_path, data_dir, tiny_pretrained):
    """The tracking server dies while a model trains: the model folder is written, the run's later
    calls are kept in the Hydra output folder, and scripts/sync_run.py pushes them (registering
    the model) once a server is back on the same store."""
    import mlflow

    from conftest import run_script, start_script

    store = tmp_path / "store"
    store.mkdir()
    server = Server(store)
    out = tmp_path / "out"
    try:
        train = start_script("train", f"model.pretrained={tiny_pretrained}", "debug=fast", f"data.dir={data_dir}",
                             "trainer.max_steps=8", f"tracking.uri={server.url}", "tracking.retry_s=2",
                             f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={out}")
        client = mlflow.MlflowClient(tracking_uri=server.url)
        deadline = time.time() + 240
        while time.time() < deadline and train.poll() is None:  # kill once training logs its loss
            runs = client.search_runs(["0", *[e.experiment_id for e in client.search_experiments()]])
            if any("loss" in r.data.metrics for r in runs):
                break
            time.sleep(0.2)
        assert train.poll() is None, "training ended before its first logged loss was seen"
    finally:
        server.kill()
    stdout, stderr = train.communicate(timeout=300)
    assert train.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert f"the MLflow server {server.url} is not answering" in stderr  # one warning, when it happened
    record = json.loads((tmp_path / "models" / "latest" / "metrics.json").read_text())
    assert "test_macro_f1" in record["metrics"]
    last = stdout.strip().splitlines()[-1]
    assert last.startswith(f"tracking: the MLflow server {server.url} stopped answering at ")
    assert f"push them with: python scripts/sync_run.py {out}" in last and "the model" in last

    again = Server(store)  # the server is back, on another port, over the same store
    try:
        sync = run_script("sync_run", str(out), "--uri", again.url)
        assert sync.returncode == 0, sync.stderr[-3000:]
        assert f"into run {record['mlflow_run_id']} at {again.url}; the model is registered as version 1" in sync.stdout
        client = mlflow.MlflowClient(tracking_uri=again.url)
        run = client.get_run(record["mlflow_run_id"])
        assert run.info.status == "FINISHED"
        assert run.data.metrics["test_macro_f1"] == pytest.approx(record["metrics"]["test_macro_f1"])
        assert {"eval", ".hydra", "config.yaml"} <= {a.path for a in client.list_artifacts(run.info.run_id)}
        version = client.get_model_version_by_alias("stance-classifier", "champion")
        assert version.run_id == run.info.run_id and version.version == "1"
        twice = run_script("sync_run", str(out), "--uri", again.url)
        assert twice.returncode == 0 and twice.stdout.startswith("already synced")
    finally:
        again.kill()


def test_outage_or_refusal():
    """Retry (and then keep) what a server did not answer; report what it refused."""
    import requests
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST

    from stance.tracking import is_outage

    assert is_outage(MlflowException("API request to http://x failed with exception Connection refused"))
    assert is_outage(requests.exceptions.ConnectionError("reset"))
    assert is_outage(requests.exceptions.ReadTimeout("timed out"))
    assert not is_outage(MlflowException("bad value", error_code=INVALID_PARAMETER_VALUE))
    assert not is_outage(MlflowException("no such run", error_code=RESOURCE_DOES_NOT_EXIST))
    assert not is_outage(ValueError("a bug of ours"))
