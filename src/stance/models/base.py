"""The Classifier protocol every model family implements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional, Protocol, Sequence, runtime_checkable

import numpy as np

from stance.labels import LabelSet

MANIFEST = "stance_model.json"

# on_log(metrics, step): how a family reports training curves without knowing about MLflow.
LogFn = Callable[[dict, int], None]


@runtime_checkable
class Classifier(Protocol):
    family: str
    labels: LabelSet
    temperature: float  # calibration: probabilities are softmax(log p / T)

    def fit(self, data, *, trainer, optim, seed: int, work_dir: Path,
            on_log: Optional[LogFn] = None, extra_eval: Optional[dict] = None) -> dict:
        """Train on data["train"], select on data["validation"] (or on an `extra_eval` set
        where the family supports it); returns a summary with at least
        `best_validation_macro_f1`."""

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """An (n, len(labels)) array of probabilities, rows in input order."""

    def save(self, path: Path) -> None:
        """Write everything needed by `load` into the folder `path`."""

    @classmethod
    def load(cls, path: Path) -> "Classifier":
        ...


def write_manifest(path: Path, family: str, labels: LabelSet, **extra) -> None:
    from stance import __version__

    meta = {"family": family, "labels": list(labels.names), "stance_version": __version__, **extra}
    (Path(path) / MANIFEST).write_text(json.dumps(meta, indent=2) + "\n")


def read_manifest(path: Path) -> dict:
    return json.loads((Path(path) / MANIFEST).read_text())
