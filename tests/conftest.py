"""Shared fixtures: offline env, a tiny random BERT + tokenizer, a temporary MLflow store."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text.lower())


@pytest.fixture(scope="session")
def tiny_pretrained(tmp_path_factory) -> Path:
    """A random 2-layer BERT with a vocabulary built from the fixture sentences."""
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    words = set()
    for f in FIXTURES.glob("*.jsonl"):
        for line in f.read_text().splitlines():
            words.update(_words(json.loads(line)["text"]))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(words)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizer(vocab_file=str(folder / "vocab.txt"))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tfidf_model(tmp_path_factory) -> Path:
    """A TF-IDF model trained once on the fixture corpus (read only: copy it to change it)."""
    tmp = tmp_path_factory.mktemp("tfidf-model")
    proc = run_script("train", "model=tfidf", f"data.dir={FIXTURES}", "tracking=none",
                      f"paths.models_dir={tmp}/models", f"hydra.run.dir={tmp}/o")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return (tmp / "models" / "latest").resolve()


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """A copy of the fixture corpus (train/validation/test) that a test may modify."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture(scope="session")
def _migrated_store(tmp_path_factory) -> Path:
    """An empty MLflow sqlite store with its schema made, once per worker: a new store costs
    the first stage that opens it about 3 CPU-seconds of schema migrations."""
    import mlflow

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture()
def store(tmp_path, _migrated_store) -> dict:
    """A temporary MLflow sqlite store (a copy of the migrated empty one) and artifact root,
    as command-line overrides."""
    shutil.copyfile(_migrated_store, tmp_path / "mlflow.db")
    return {"uri": f"sqlite:///{tmp_path}/mlflow.db", "artifacts": str(tmp_path / "mlartifacts")}


def _script(name: str, overrides: tuple, env: dict | None) -> tuple[list[str], dict]:
    if name in ("train", "evaluate", "errors") and not any(o.startswith("paths.shared_dir=") for o in overrides):
        overrides = (*overrides, f"paths.shared_dir={FIXTURES / 'shared'}")
    full_env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    full_env.update(env or {})
    return [sys.executable, str(ROOT / "scripts" / f"{name}.py"), *overrides], full_env


def run_script(name: str, *overrides: str, cwd: Path = ROOT, timeout: int = 300,
               env: dict | None = None) -> subprocess.CompletedProcess:
    """Run scripts/<name>.py as a user would, returning the completed process.

    Stages that score eval sets read the small made-up ones in tests/fixtures/shared
    (same layout as the team's shared folder) unless a test names another folder."""
    cmd, full_env = _script(name, overrides, env)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


def start_script(name: str, *overrides: str, env: dict | None = None) -> subprocess.Popen:
    """Start scripts/<name>.py in its own session (stdout and stderr piped), as run_script would run it."""
    cmd, full_env = _script(name, overrides, env)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, start_new_session=True)
