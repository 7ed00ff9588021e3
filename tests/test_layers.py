"""model.num_layers: a smaller model cut from the first layers of the encoder, saved and
loaded like any other."""

import numpy as np
import pytest
from omegaconf import OmegaConf

from stance.config import DEFAULT_LABELS, TransformerModelConfig
from stance.errors import StanceError
from stance.labels import LabelSet
from stance.models.transformer import TransformerClassifier


def _build(tiny_pretrained, pooling, num_layers):
    cfg = OmegaConf.structured(TransformerModelConfig(name="tiny", pretrained=str(tiny_pretrained),
                                                      pooling=pooling, num_layers=num_layers))
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
