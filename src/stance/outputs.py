"""Model folders: atomic writes, run names, the `latest` link, loading by folder or MLflow URI."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any

from stance.errors import StanceError

MLFLOW_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")


def safe_name(text: str, limit: int = 80) -> str:
    """A folder name that is also a safe Hydra override value (no '=', ',', quotes or spaces).

    A name cut to `limit` ends in a short hash of the whole text, so two long names that share a
    prefix (sweep jobs differing only in their last override) stay different.
    """
    name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", text.replace("=", "-")).strip("_") or "run"
    if len(name) <= limit:
        return name
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{name[:limit - 9].rstrip('_')}_{digest}"


def new_model_dir(models_dir: Path, run_name: str) -> tuple[Path, Path]:
    """Reserve a model folder: returns (temporary folder, already created, final folder).

    The temporary folder is made with exclusive create, so parallel runs (a joblib sweep) that
    start in the same second with the same name get "-2", "-3", ... instead of sharing a folder.
    """
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    base = f"{time.strftime('%Y%m%d-%H%M%S')}_{safe_name(run_name)}"
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        final_dir, tmp_dir = models_dir / name, models_dir / f".tmp-{name}"
        if final_dir.exists():
            continue
        try:
            tmp_dir.mkdir()
        except FileExistsError:
            continue
        return tmp_dir, final_dir
    raise StanceError("could not reserve a model folder", where=str(models_dir / base),
                      fix="remove stale .tmp-* folders from the models folder")


def publish(tmp_dir: Path, final_dir: Path) -> Path:
    """Move a completely written folder into place, then point models/latest at it."""
    final_dir = Path(final_dir)
    if final_dir.exists():
        raise StanceError("model folder already exists", where=str(final_dir),
                          fix="reserve folders with new_model_dir(), which never reuses a name")
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


def load_classifier(ref: str, tracking_cfg: Any = None) -> tuple[Any, str]:
    """A Classifier from a folder or an MLflow model URI; returns (classifier, description).
    The classifier also has `source_dir`, the folder it was loaded from."""
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
