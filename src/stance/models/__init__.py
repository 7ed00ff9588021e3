"""Model families behind one `Classifier` protocol.

Stages never branch on the family: they call `build(model_cfg, labels)` or `load(folder)`.
A new family is one module here plus one entry in FAMILIES and a config in configs/model/.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from stance.errors import StanceError
from stance.labels import LabelSet
from stance.models.base import MANIFEST, Classifier

FAMILIES = {
    "transformer": "stance.models.transformer:TransformerClassifier",
    "tfidf": "stance.models.tfidf:TfidfClassifier",
}


def _family(name: str):
    if name not in FAMILIES:
        raise StanceError(f"unknown model family {name!r}", fix=f"use one of {sorted(FAMILIES)}")
    module, cls = FAMILIES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def build(model_cfg, labels: LabelSet, seed: int = 42) -> Classifier:
    """A fresh, untrained classifier for `model_cfg` (a node of configs/model/)."""
    return _family(model_cfg.family).build(model_cfg, labels, seed=seed)


def load(path: str | Path) -> Classifier:
    """A trained classifier from a folder written by `Classifier.save`."""
    path = Path(path)
    manifest = path / MANIFEST
    if not path.is_dir():
        raise StanceError("model folder not found", where=str(path),
                          fix="train one with `make train`, or pass model=<folder or MLflow URI>")
    if not manifest.is_file():
        raise StanceError(f"not a stance model folder (no {MANIFEST})", where=str(path),
                          fix="point to a folder written by scripts/train.py")
    meta = json.loads(manifest.read_text())
    classifier = _family(meta["family"]).load(path)
    classifier.source_dir = str(path)
    return classifier


__all__ = ["Classifier", "build", "load", "FAMILIES", "MANIFEST"]
