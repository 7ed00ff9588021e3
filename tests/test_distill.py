"""Distillation (trainer.distill_from): the loss term, a short run of a 1-layer student learning
a teacher's logits, and the teacher checks at the boundary."""

import math

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from stance.config import DEFAULT_LABELS, OptimConfig, TrainerConfig, TransformerModelConfig
from stance.data.load import load_file
from stance.errors import StanceError
from stance.labels import LabelSet
from stance.models.transformer import TransformerClassifier, distill_kl

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def test_distill_kl_is_zero_when_the_student_matches_and_grows_with_the_gap():
    teacher = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    assert distill_kl(teacher + 5.0, teacher, 2.0).item() == pytest.approx(0.0, abs=1e-6)  # shift-free
    near, far = distill_kl(teacher * 0.9, teacher, 2.0), distill_kl(-teacher, teacher, 2.0)
    assert 0 < near.item() < far.item()


def _classifier(tiny_pretrained, num_layers=None, labels=DEFAULT_LABELS):
    cfg = OmegaConf.structured(TransformerModelConfig(name="tiny", pretrained=str(tiny_pretrained),
                                                      pooling="mean", num_layers=num_layers))
    return TransformerClassifier.build(cfg, LabelSet(labels), seed=0)


def _fit(student, tmp_path, **trainer_kw):
    data = {s: load_file(FIXTURES / f"{s}.jsonl", student.labels) for s in ("train", "validation")}
    trainer = OmegaConf.structured(TrainerConfig(max_steps=2, batch_size=8, logging_steps=1,
                                                 early_stopping_patience=0, precision="fp32", **trainer_kw))
    logs: list[dict] = []
    summary = student.fit(data, trainer=trainer, optim=OmegaConf.structured(OptimConfig()), seed=0,
                          work_dir=tmp_path / "work", on_log=lambda m, step: logs.append(m))
    return summary, [m["loss"] for m in logs if "loss" in m]


def test_a_student_learns_from_the_teachers_logits(tiny_pretrained, tmp_path):
    teacher = _classifier(tiny_pretrained)
    teacher.model.eval()
    teacher.temperature = 2.0
    teacher.save(tmp_path / "teacher")
    texts = ["The minister rejected the offer.", "Talks resume on Monday."]
    logits = _classifier(tiny_pretrained, 1).teacher_logits(str(tmp_path / "teacher"), texts, "fp32")
    proba = teacher.predict_proba(texts)
    # softmax of the returned logits over the teacher's temperature gives its probabilities back
    np.testing.assert_allclose(torch.softmax(torch.from_numpy(logits) / 2.0, -1).numpy(), proba, atol=1e-5)

    summary, losses = _fit(_classifier(tiny_pretrained, 1), tmp_path / "kd", distill_from=str(tmp_path / "teacher"),
                           distill_alpha=1.0)
    _, plain = _fit(_classifier(tiny_pretrained, 1), tmp_path / "plain")
    assert summary["distilled_from"] == str((tmp_path / "teacher").resolve())
    assert losses and all(math.isfinite(v) for v in losses)
    assert losses[0] != pytest.approx(plain[0])  # same start and batch, the loss is the teacher's term


def test_teacher_checks_name_the_setting_and_the_problem(tiny_pretrained, tmp_path):
    student = _classifier(tiny_pretrained, 1)
    with pytest.raises(StanceError, match=r"trainer.distill_from=.*no trained model there"):
        student.teacher_logits(str(tmp_path / "nowhere"), ["x"], "fp32")
    other = _classifier(tiny_pretrained, labels=("a", "b"))
    other.save(tmp_path / "other")
    with pytest.raises(StanceError, match="its labels a, b differ"):
        student.teacher_logits(str(tmp_path / "other"), ["x"], "fp32")
