"""Model folders: atomic writes, run names, the `latest` link, loading by folder or MLflow URI."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from stance.errors import StanceError

MLFLOW_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")


def safe_name(text: str, limit: int = 80) -> str:
    """A folder name that is also a safe Hydra override value (no '=', ',', quotes or spaces)."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", text.replace("=", "-")).strip("_")[:limit] or "run"


def new_model_dir(models_dir: Path, run_name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(models_dir) / f"{stamp}_{safe_name(run_name)}"


def publish(tmp_dir: Path, final_dir: Path) -> Path:
    """Move a completely written folder into place, then point models/latest at it."""
    final_dir = Path(final_dir)
    if final_dir.exists():
        shutil.rmtree(final_dir)
    tmp_dir.rename(final_dir)
    latest = final_dir.parent / "latest"
    tmp_link = final_dir.parent / f".latest-{final_dir.name}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(final_dir.name)
    tmp_link.replace(latest)  # atomic swap of the link
    return final_dir


def is_mlflow_uri(ref: str) -> bool:
    return str(ref).startswith(MLFLOW_SCHEMES)


def load_classifier(ref: str, tracking_cfg=None):
    """A Classifier from a folder or an MLflow model URI; returns (classifier, description)."""
    from stance import models

    ref = str(ref)
    if is_mlflow_uri(ref):
        from stance.tracking import download_model

        folder, desc = download_model(ref, tracking_cfg)
        return models.load(folder), desc
    path = Path(ref)
    if not path.exists():
        raise StanceError("model not found", where=ref,
                          fix="train one with `make train`, or pass model=<model folder or MLflow URI "
                              "such as models:/stance-classifier/1>")
    return models.load(path), str(path.resolve())
