"""The MLflow pyfunc wrapper around any saved Classifier.

`mlflow.pyfunc.load_model(uri).predict(["sentence", ...])` returns a DataFrame with
`label`, `score` and one `p_<label>` column per label.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd


def pip_requirements() -> list[str]:
    from importlib.metadata import version

    pkgs = ["torch", "transformers", "tokenizers", "scikit-learn", "pandas", "numpy", "joblib",
            "safetensors", "mlflow"]
    return [f"{p}=={version(p)}" for p in pkgs]


MAX_CHARS = 100_000  # a sentence classifier has no use for longer inputs
MAX_ITEMS = 10_000


def to_texts(model_input) -> list[str]:
    """Accept a list/array/Series of strings or a DataFrame with a `text` (or single) column.

    Bad requests raise MlflowException(INVALID_PARAMETER_VALUE), which the scoring
    server answers with HTTP 400.
    """
    if isinstance(model_input, pd.DataFrame):
        if model_input.shape[1] == 0:
            _invalid("the input has no columns")
        col = "text" if "text" in model_input.columns else model_input.columns[0]
        values = model_input[col].tolist()
    elif isinstance(model_input, pd.Series):
        values = model_input.tolist()
    elif isinstance(model_input, str):
        values = [model_input]
    else:
        try:
            values = list(model_input)
        except TypeError:
            _invalid(f"expected a list of strings, got {type(model_input).__name__}")
    if not values:
        _invalid("the input is empty: send at least one sentence")
    if len(values) > MAX_ITEMS:
        _invalid(f"{len(values)} items in one request; send at most {MAX_ITEMS}")
    for i, v in enumerate(values):
        if not isinstance(v, str):
            _invalid(f"item {i} is {type(v).__name__}, not a string")
        if len(v) > MAX_CHARS:
            _invalid(f"item {i} has {len(v):,} characters; at most {MAX_CHARS:,} are accepted "
                     "(split long documents with scripts/predict.py)")
    return values


def _invalid(message: str):
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    raise MlflowException(message, error_code=INVALID_PARAMETER_VALUE)


UNCERTAIN = "uncertain"


def predictions_frame(proba, labels, min_score: float = 0.0) -> pd.DataFrame:
    """label, score and p_<label> columns; rows whose top probability is below `min_score`
    are labelled `uncertain` (abstention; their probabilities are kept)."""
    ids = proba.argmax(axis=1)
    top = proba[range(len(ids)), ids].astype(float)
    frame = pd.DataFrame({"label": [labels.to_name(i) if s >= min_score else UNCERTAIN
                                    for i, s in zip(ids, top)],
                          "score": top})
    for j, name in enumerate(labels.names):
        frame[f"p_{name}"] = proba[:, j].astype(float)
    return frame


class StanceModel(mlflow.pyfunc.PythonModel):
    # No type hints on `predict`, on purpose: MLflow would validate and coerce the input against
    # them before to_texts() could answer a bad request with our own 400. This is MLflow's own
    # opt-out for such classes; without it every import (every predict run, every worker
    # process) prints MLflow's "Add type hints to the `predict` method" warning.
    _skip_type_hint_validation = True

    def load_context(self, context):
        from stance.models import load

        self.classifier = load(context.artifacts["model_dir"])

    def predict(self, context, model_input, params=None):
        texts = to_texts(model_input)
        proba = self.classifier.predict_proba(texts)
        return predictions_frame(proba, self.classifier.labels)
