"""Extra evaluation sets (real text): load, score and flatten into run metrics.

A set is a labelled file named in `eval_sets` (configs/eval_sets/). `train` scores every
set at the end of a run and logs the numbers in the same MLflow run (so runs compare on
real text), `evaluate` scores them on any saved model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stance.calibration import apply_temperature, cross_fitted, expected_calibration_error
from stance.data.load import load_file
from stance.errors import StanceError
from stance.labels import LabelSet
from stance.metrics import evaluate


def available(sets_cfg) -> tuple[dict, list[str]]:
    """The sets whose file exists, and a note for each one skipped."""
    found, notes = {}, []
    for name, cfg in (sets_cfg or {}).items():
        if Path(cfg.file).is_file():
            found[name] = cfg
        elif cfg.required:
            raise StanceError(f"eval set {name!r}: file not found", where=str(cfg.file),
                              fix=f"fix eval_sets.{name}.file, or drop the set")
        else:
            notes.append(f"eval set {name!r} skipped: {cfg.file} not found")
    return found, notes


def load_set(name: str, cfg, labels: LabelSet):
    return load_file(cfg.file, labels, cfg.text_field, cfg.label_field,
                     group_field=cfg.group_field, secondary_field=cfg.secondary_field)


def score(data, proba: np.ndarray, labels: LabelSet, out_dir: Path | None, prefix: str) -> dict:
    """`metrics.evaluate` with the set's groups and secondary labels when it has them."""
    cols = data.column_names
    return evaluate(data["label"], proba, labels, texts=data["text"], ids=data["id"],
                    tags=data["tags"], out_dir=out_dir, prefix=prefix,
                    groups=data["group"] if "group" in cols else None,
                    secondary=data["secondary"] if "secondary" in cols else None)


def flat_metrics(name: str, result: dict, labels: LabelSet) -> dict[str, float]:
    """`<name>_macro_f1`, `<name>_recall_<label>`, `<name>_<group>_macro_f1`, ... for tracking."""
    m = result["metrics"]
    keys = ["accuracy", "macro_f1", "ece", "lenient_macro_f1"] + \
        [f"{k}_{n}" for n in labels.names for k in ("precision", "recall", "f1")]
    out = {f"{name}_{k}": m[k] for k in keys if k in m}
    for g, s in result.get("groups", {}).items():
        out[f"{name}_{g}_macro_f1"] = s["macro_f1"]
    return out


def calibration_summary(proba_raw: np.ndarray, y_true, temperature: float, fitted_here: bool) -> dict:
    """ECE before and after temperature scaling; on the set the temperature was fitted on,
    `after` is cross-fitted (each half scaled by a T fitted on the other half)."""
    after = cross_fitted(proba_raw, y_true) if fitted_here else apply_temperature(proba_raw, temperature)
    return {"ece_before": expected_calibration_error(proba_raw, y_true),
            "ece_after": expected_calibration_error(after, y_true)}
