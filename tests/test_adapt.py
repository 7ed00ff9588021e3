"""adapt: continued MLM pretraining on a small generated dump, then train from the result."""

import json
import random
import re

import pytest

from conftest import FIXTURES, run_script

pytestmark = pytest.mark.integration


def generated_dump(path, n_docs=40):
    """Documents of sentences recombined from the fixture vocabulary (the tiny model's words)."""
    words = sorted({w for f in FIXTURES.glob("*.jsonl") for l in f.read_text().splitlines()
                    for w in re.findall(r"[a-z]+", json.loads(l)["text"].lower())})
    rng = random.Random(0)
    with path.open("w") as fh:
        for d in range(n_docs):
            sents = [" ".join(rng.choice(words) for _ in range(rng.randint(6, 18))).capitalize() + "."
                     for _ in range(8)]
            fh.write(json.dumps({"id": f"d{d}", "text": " ".join(sents)}) + "\n")


@pytest.fixture()
def tiny_mlm(tiny_pretrained, tmp_path):
    """The tiny BERT with a tokenizer that knows its vocabulary (transformers 5's BertTokenizer
    ignores `vocab_file=`, so conftest's tiny tokenizer maps every word to [UNK], and an MLM
    needs words to predict)."""
    import shutil

    from transformers import BertTokenizer

    folder = tmp_path / "tiny-mlm"
    shutil.copytree(tiny_pretrained, folder)
    vocab = [w for w in (folder / "vocab.txt").read_text().splitlines() if w]
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink(missing_ok=True)
    BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}).save_pretrained(folder)
    return folder


def test_adapt_then_train_from_the_adapted_encoder(tmp_path, store, data_dir, tiny_mlm):
    tiny_pretrained = tiny_mlm
    dump = tmp_path / "dump.jsonl"
    generated_dump(dump)
    out = tmp_path / "adapted"
    proc = run_script("adapt", f"input={dump}", f"output={out}", f"pretrained={tiny_pretrained}",
                      "eval_sentences=40", "batch_size=16", "head_warmup_steps=3", "warmup_steps=2",
                      "logging_steps=2", "lr=1e-3", f"tracking.uri={store['uri']}", f"hydra.run.dir={tmp_path}/a")
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads((out / "adapt.json").read_text())
    assert info["sentences_seen"] == 320 - 40 and info["eval_sentences"] == 40  # 40 docs x 8, held out
    assert info["new_mlm_head"] and info["head_warmup_steps"] == 3
    assert info["eval_mlm_loss_after"] < info["eval_mlm_loss_before"]
    assert info["hours_per_million_sentences"] > 0
    files = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer_config.json", "mlm_head.safetensors"} <= files
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]

    import mlflow

    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    run = client.get_run(info["mlflow_run_id"])
    assert run.data.tags["stage"] == "adapt" and run.data.metrics["tokens_seen"] > 0
    assert len(client.get_metric_history(run.info.run_id, "loss")) >= 3

    train = run_script("train", f"model.pretrained={out}", "debug=fast", f"data.dir={data_dir}", "tracking=none",
                       f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/t")
    assert train.returncode == 0, train.stderr[-3000:]


def test_adapt_never_writes_over_a_folder(tmp_path):
    from omegaconf import OmegaConf

    from stance import adapt
    from stance.config import AdaptConfig, PathsConfig, TrackingConfig
    from stance.errors import StanceError

    (tmp_path / "adapted").mkdir()
    cfg = OmegaConf.structured(AdaptConfig(paths=PathsConfig(root=str(tmp_path)),
                                           tracking=TrackingConfig(enabled=False),
                                           input=str(tmp_path), output=str(tmp_path / "adapted")))
    with pytest.raises(StanceError, match="output folder exists"):
        adapt.run(cfg)
