"""The training loss options: R-Drop's symmetric KL, the supervised contrastive term, and a
short fine-tuning run with both switched on."""

import math

import pytest
import torch
from omegaconf import OmegaConf

from stance.config import DEFAULT_LABELS, OptimConfig, TrainerConfig, TransformerModelConfig
from stance.data.load import load_file
from stance.errors import StanceError
from stance.labels import LabelSet
from stance.models.transformer import TransformerClassifier, supcon_loss, symmetric_kl

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def test_symmetric_kl_is_zero_for_equal_logits_and_symmetric():
    a, b = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]]), torch.tensor([[0.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    assert symmetric_kl(a, a).item() == pytest.approx(0.0, abs=1e-6)
    assert symmetric_kl(a, b).item() > 0.1
    assert symmetric_kl(a, b).item() == pytest.approx(symmetric_kl(b, a).item())


def test_supcon_prefers_vectors_clustered_by_label():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    clustered = torch.eye(3).repeat_interleave(2, dim=0)  # same label -> same direction
    mixed = clustered[[0, 2, 1, 4, 3, 5]]  # each vector's partner now has another label
    assert supcon_loss(clustered, labels, 0.3) < supcon_loss(mixed, labels, 0.3)


def test_supcon_ignores_anchors_without_a_positive():
    vectors = torch.randn(4, 8)
    assert supcon_loss(vectors, torch.tensor([0, 1, 2, 3]), 0.3).item() == 0.0
    only_pair = supcon_loss(vectors[:2], torch.tensor([0, 0]), 0.3)
    with_singletons = supcon_loss(vectors, torch.tensor([0, 0, 1, 2]), 0.3)
    assert with_singletons.item() != 0.0 and math.isfinite(only_pair.item())


def _fit(tiny_pretrained, tmp_path, pooling, **trainer_kw):
    labels = LabelSet(DEFAULT_LABELS)
    model_cfg = OmegaConf.structured(TransformerModelConfig(name="tiny", pretrained=str(tiny_pretrained),
                                                            pooling=pooling))
    clf = TransformerClassifier.build(model_cfg, labels, seed=0)
    data = {s: load_file(FIXTURES / f"{s}.jsonl", labels) for s in ("train", "validation")}
    trainer = OmegaConf.structured(TrainerConfig(max_steps=2, batch_size=8, logging_steps=1,
                                                 early_stopping_patience=0, precision="fp32", **trainer_kw))
    logs: list[dict] = []
    clf.fit(data, trainer=trainer, optim=OmegaConf.structured(OptimConfig()), seed=0,
            work_dir=tmp_path, on_log=lambda m, step: logs.append(m))
    return [m["loss"] for m in logs if "loss" in m]


def test_training_with_rdrop_and_supcon_runs_and_logs_a_finite_loss(tiny_pretrained, tmp_path):
    plain = _fit(tiny_pretrained, tmp_path / "plain", "mean")
    both = _fit(tiny_pretrained, tmp_path / "both", "mean", rdrop_alpha=1.0, supcon_weight=0.5)
    assert plain and both and all(math.isfinite(x) for x in both)
    assert both[0] != pytest.approx(plain[0])  # the extra terms change the loss from step one


def test_supcon_needs_mean_pooling(tiny_pretrained, tmp_path):
    with pytest.raises(StanceError, match="model.pooling=mean"):
        _fit(tiny_pretrained, tmp_path, "cls", supcon_weight=0.5)
