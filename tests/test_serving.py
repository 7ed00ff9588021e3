"""The logged model serves with the stock `mlflow models serve` and answers bad requests with 4xx."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, payload, timeout=60):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_serve_champion_round_trip(tmp_path, store, data_dir):
    proc = run_script("train", "model=tfidf", f"data.dir={data_dir}", f"tracking.uri={store['uri']}",
                      f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/o")
    assert proc.returncode == 0, proc.stderr[-3000:]
    port = free_port()
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": store["uri"],
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    server = subprocess.Popen(
        [mlflow_bin, "models", "serve", "-m", "models:/stance-classifier@champion", "--env-manager",
         "local", "--host", "127.0.0.1", "-p", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, "server did not answer /ping within 120 s"
                time.sleep(1)

        status, body = post(port, {"inputs": ["We reject the proposal.", "Talks resume on Monday."]})
        assert status == 200, body
        preds = body["predictions"]
        assert len(preds) == 2
        assert preds[0]["label"] in {"refusal", "openness", "threat", "reassurance", "neutral"}
        assert abs(sum(v for k, v in preds[0].items() if k.startswith("p_")) - 1) < 1e-4

        for bad in ({"inputs": []}, {"inputs": [1, 2]}, {"inputs": ["x" * 10_000_000]}):
            status, body = post(port, bad)
            assert 400 <= status < 500, (status, str(body)[:300])
            assert server.poll() is None, "the server died on a bad request"
        assert post(port, {"inputs": ["Still up?"]})[0] == 200
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
