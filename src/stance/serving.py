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


def to_texts(model_input) -> list[str]:
    """Accept a list/array/Series of strings or a DataFrame with a `text` (or single) column."""
    if isinstance(model_input, pd.DataFrame):
        col = "text" if "text" in model_input.columns else model_input.columns[0]
        values = model_input[col].tolist()
    elif isinstance(model_input, pd.Series):
        values = model_input.tolist()
    elif isinstance(model_input, str):
        values = [model_input]
    else:
        values = list(model_input)
    return [str(v) for v in values]


def predictions_frame(proba, labels) -> pd.DataFrame:
    ids = proba.argmax(axis=1)
    frame = pd.DataFrame({"label": [labels.to_name(i) for i in ids],
                          "score": proba[range(len(ids)), ids].astype(float)})
    for j, name in enumerate(labels.names):
        frame[f"p_{name}"] = proba[:, j].astype(float)
    return frame


class StanceModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from stance.models import load

        self.classifier = load(context.artifacts["model_dir"])

    def predict(self, context, model_input, params=None):
        texts = to_texts(model_input)
        proba = self.classifier.predict_proba(texts)
        return predictions_frame(proba, self.classifier.labels)
