"""model.num_layers: a smaller model cut from the first layers of the encoder, saved and
loaded like any other; model.freeze_layers: the lowest layers kept as they are while fine-tuning."""

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from stance.config import DEFAULT_LABELS, OptimConfig, TrainerConfig, TransformerModelConfig
from stance.data.load import load_file
from stance.errors import StanceError
from stance.labels import LabelSet
from stance.models.transformer import TransformerClassifier

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def _build(tiny_pretrained, pooling, num_layers, freeze_layers=0):
    cfg = OmegaConf.structured(TransformerModelConfig(name="tiny", pretrained=str(tiny_pretrained),
                                                      pooling=pooling, num_layers=num_layers,
                                                      freeze_layers=freeze_layers))
    return TransformerClassifier.build(cfg, LabelSet(DEFAULT_LABELS), seed=0)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_cut_model_has_the_first_layers_and_round_trips(tiny_pretrained, tmp_path, pooling):
    full, cut = _build(tiny_pretrained, pooling, None), _build(tiny_pretrained, pooling, 1)
    assert full.model.config.num_hidden_layers == 2 and cut.model.config.num_hidden_layers == 1
    encoder = cut.model.encoder if pooling == "mean" else cut.model.bert
    assert len(encoder.encoder.layer) == 1
    cut.model.eval()  # as fit leaves it
    cut.save(tmp_path / "m")
    again = TransformerClassifier.load(tmp_path / "m")
    texts = ["The minister rejected the offer.", "Talks resume on Monday."]
    np.testing.assert_allclose(cut.predict_proba(texts), again.predict_proba(texts), atol=1e-5)


def test_more_layers_than_the_encoder_has_is_a_clear_error(tiny_pretrained):
    with pytest.raises(StanceError, match="the encoder has 2 layers"):
        _build(tiny_pretrained, "mean", 3)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_fine_tuning_leaves_frozen_layers_as_they_were_and_trains_the_rest(tiny_pretrained, tmp_path, pooling):
    clf = _build(tiny_pretrained, pooling, None, freeze_layers=1)
    encoder = clf.model.encoder if pooling == "mean" else clf.model.bert
    frozen = {n: p.detach().clone() for n, p in clf.model.named_parameters() if not p.requires_grad}
    assert any("embeddings" in n for n in frozen) and any("layer.0." in n for n in frozen)
    assert all(p.requires_grad for p in encoder.encoder.layer[1].parameters())
    before = {n: p.detach().clone() for n, p in encoder.encoder.layer[1].named_parameters()}
    labels = LabelSet(DEFAULT_LABELS)
    data = {s: load_file(FIXTURES / f"{s}.jsonl", labels) for s in ("train", "validation")}
    trainer = OmegaConf.structured(TrainerConfig(max_steps=2, batch_size=8, early_stopping_patience=0,
                                                 precision="fp32"))
    clf.fit(data, trainer=trainer, optim=OmegaConf.structured(OptimConfig()), seed=0, work_dir=tmp_path)
    after = dict(clf.model.named_parameters())
    assert all(torch.equal(after[n], v) for n, v in frozen.items())
    assert any(not torch.equal(p, before[n]) for n, p in encoder.encoder.layer[1].named_parameters())


def test_freezing_more_layers_than_the_encoder_has_is_a_clear_error(tiny_pretrained):
    with pytest.raises(StanceError, match="model.freeze_layers=3: the encoder has 2 layers"):
        _build(tiny_pretrained, "mean", None, freeze_layers=3)
