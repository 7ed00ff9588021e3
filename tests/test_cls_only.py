"""Inference computes the last layer for [CLS] only: the same probabilities as the full model."""

import json

import numpy as np
import pytest

from conftest import FIXTURES


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_cls_only_last_layer_matches_full_forward(tiny_pretrained, attn):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from stance.labels import LabelSet
    from stance.models.transformer import TransformerClassifier, _ClsOnlyLastLayer

    labels = LabelSet(["refusal", "openness", "threat", "reassurance", "neutral"])
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_pretrained, num_labels=len(labels)).eval()
    model.set_attn_implementation(attn)
    clf = TransformerClassifier(model, AutoTokenizer.from_pretrained(tiny_pretrained), labels)
    texts = [json.loads(l)["text"] for l in (FIXTURES / "train.jsonl").read_text().splitlines()]
    ids = clf.encode(texts)  # lengths differ: batches carry padding
    fast = clf.predict_encoded(ids, batch_size=8)
    layer = model.bert.encoder.layer[-1]
    assert "forward" not in vars(layer)  # swapped back after inference
    with torch.inference_mode():
        with _ClsOnlyLastLayer(model, "mean"):  # not a [CLS]-pooled model: left alone
            assert "forward" not in vars(layer)
        enc = clf.tokenizer(texts, padding=True, return_tensors="pt")
        full = torch.softmax(model(**enc).logits, dim=-1).numpy()
    np.testing.assert_allclose(fast, full, atol=1e-5)
    assert (fast.argmax(1) == full.argmax(1)).all()
