"""TF-IDF word n-grams + logistic regression: the floor every run is compared against."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from stance.calibration import apply_temperature
from stance.labels import LabelSet
from stance.metrics import scores
from stance.models.base import LogFn, read_manifest, write_manifest

PIPELINE_FILE = "pipeline.joblib"


class TfidfClassifier:
    family = "tfidf"

    def __init__(self, pipeline: Pipeline, labels: LabelSet, temperature: float = 1.0):
        self.pipeline, self.labels = pipeline, labels
        self.temperature = temperature  # calibration (see stance.calibration)

    @classmethod
    def build(cls, cfg, labels: LabelSet, seed: int = 42) -> "TfidfClassifier":
        pipeline = Pipeline([
            ("tfidf", TfidfVectorizer(ngram_range=(1, cfg.ngram_max), min_df=cfg.min_df,
                                      max_features=cfg.max_features, sublinear_tf=cfg.sublinear_tf)),
            ("clf", LogisticRegression(C=cfg.C, max_iter=cfg.max_iter, random_state=seed)),
        ])
        return cls(pipeline, labels)

    def fit(self, data, *, trainer, optim, seed: int, work_dir: Path,
            on_log: Optional[LogFn] = None, extra_eval: Optional[dict] = None) -> dict:
        if trainer.class_weights:
            self.pipeline.set_params(clf__class_weight="balanced")
        train = data["train"]
        # Fit on ids 0..K-1 with every class present in `classes_`, so columns match the label set.
        self.pipeline.fit(list(train["text"]), np.asarray(train["label"]))
        missing = set(range(len(self.labels))) - set(self.pipeline.classes_.tolist())
        if missing:
            from stance.errors import StanceError
            raise StanceError(f"the training split has no rows of {[self.labels.to_name(i) for i in missing]}",
                              fix="every label of data.labels needs training examples")
        valid = data["validation"]
        proba = self.predict_proba(list(valid["text"]))
        val = scores(np.asarray(valid["label"]), proba.argmax(1), self.labels)
        if on_log:
            on_log({"eval_accuracy": val["accuracy"], "eval_macro_f1": val["macro_f1"]}, 1)
        return {"best_validation_macro_f1": val["macro_f1"], "epochs": 1}

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return apply_temperature(self.pipeline.predict_proba(list(texts)), self.temperature)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, path / PIPELINE_FILE)
        write_manifest(path, self.family, self.labels, temperature=self.temperature)

    @classmethod
    def load(cls, path: Path) -> "TfidfClassifier":
        meta = read_manifest(path)
        return cls(joblib.load(Path(path) / PIPELINE_FILE), LabelSet(meta["labels"]),
                   meta.get("temperature", 1.0))
