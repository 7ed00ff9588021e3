"""Inference back ends behind one `predict_proba`: torch (the Classifier itself) or ONNX Runtime,
and `runtime=auto` / `precision=auto`, which pick the fastest accurate one for the hardware."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from stance.errors import StanceError
from stance.hardware import native_bf16, native_int8
from stance.inference.batching import token_batches
from stance.labels import LabelSet
from stance.models.base import read_manifest


class OnnxClassifier:
    """A saved transformer folder's ONNX export run with ONNX Runtime (same API as a Classifier)."""

    family = "transformer-onnx"

    def __init__(self, folder: Path, filename: str = "model.int8.onnx", num_threads: int | None = None):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        folder = Path(folder)
        self.source_dir = str(folder)
        path = folder / "onnx" / filename
        if not path.is_file():
            raise StanceError("no ONNX export in the model folder", where=str(path),
                              fix=f"run: python scripts/export.py model={folder}")
        meta = read_manifest(folder)
        self.labels = LabelSet(meta["labels"])
        self.max_length = meta.get("max_length", 128)
        self.temperature = float(meta.get("temperature", 1.0))  # calibration (see calibration.py)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        opts = ort.SessionOptions()
        if num_threads:
            opts.intra_op_num_threads = num_threads
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, truncated, not padded (safe to call from another thread)."""
        return self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]

    def predict_encoded(self, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        """Probabilities for already tokenised texts; batches of similar token counts."""
        out = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        for idx, input_ids, mask in token_batches(ids, batch_size, self.tokenizer.pad_token_id or 0):
            feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            logits = self.session.run(None, {n: feed[n] for n in self.inputs})[0] / self.temperature
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            out[idx] = e / e.sum(axis=1, keepdims=True)
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.predict_encoded(self.encode(texts), batch_size)


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
RUNTIMES = ("auto", "torch", "onnx", "onnx-int8", "onnx-fp32")
# A faster path becomes the default only if its labels agree with fp32's this often.
AGREEMENT_FLOOR = 0.99
EXPORT_REPORT = "export.json"  # written by scripts/export.py into <model>/onnx/


def export_report(folder) -> dict:
    """What scripts/export.py recorded about a model folder's ONNX export ({} if none)."""
    path = Path(folder) / "onnx" / EXPORT_REPORT
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def resolve_runtime(classifier, runtime: str, precision: str = "auto") -> tuple[str, str]:
    """(runtime, why): `runtime=auto` takes the int8 ONNX export on a CPU that multiplies int8
    natively (VNNI or AMX) when the export's labels were checked against fp32 and agreed at
    least AGREEMENT_FLOOR; torch otherwise (with precision=auto: bf16 where native, else fp32).
    On AVX2-only CPUs int8 is no faster than fp32, and an int8 model below the floor is not
    the default anywhere. A precision other than auto (fp32, bf16, fp16) is a torch setting:
    auto then means torch."""
    if runtime not in RUNTIMES:
        raise StanceError(f"runtime={runtime!r} is not one of {', '.join(RUNTIMES)}")
    if runtime != "auto":
        return runtime, "asked for"
    if precision != "auto":
        return "torch", f"precision={precision} asked for"
    if not hasattr(classifier, "set_precision"):
        return "torch", f"{classifier.family} model"
    if next(classifier.model.parameters()).device.type != "cpu":
        return "torch", "GPU"
    if not native_int8():
        return "torch", "no native int8 on this CPU"
    report = export_report(classifier.source_dir)
    agreement = report.get("int8_agreement")
    if agreement is None or not (Path(classifier.source_dir) / "onnx" / "model.int8.onnx").is_file():
        return "torch", "no checked int8 export (scripts/export.py)"
    if agreement < AGREEMENT_FLOOR:
        return "torch", f"int8 agrees with fp32 on {agreement:.2%} < {AGREEMENT_FLOOR:.0%}"
    return "onnx", f"native int8, export agrees with fp32 on {agreement:.2%}"


def resolve_precision(classifier, runtime: str, precision: str) -> str:
    """`precision=auto`: bf16 autocast for a torch transformer on hardware with native bf16,
    fp32 otherwise (ONNX and TF-IDF models set their own)."""
    if precision not in PRECISIONS:
        raise StanceError(f"precision={precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if runtime != "torch" or not hasattr(classifier, "set_precision"):
        return "fp32"
    device = next(classifier.model.parameters()).device.type
    return "bf16" if native_bf16(device) else "fp32"


def load_runtime(classifier, runtime: str, num_threads: int | None = None, precision: str = "fp32"):
    """The object predict should call: the classifier itself (torch) or its ONNX export.

    `precision` (torch only): fp32, bf16 / fp16 autocast (bf16 pays on CPUs with AVX512-BF16
    or AMX and on GPUs; fp16 needs a GPU), or auto (see `resolve_precision`); runtime=auto
    is resolved here too (see `resolve_runtime`), so each replica decides on its own hardware."""
    runtime = resolve_runtime(classifier, runtime, precision)[0]
    precision = resolve_precision(classifier, runtime, precision)
    if runtime == "torch":
        if precision != "fp32":
            if not hasattr(classifier, "set_precision"):
                raise StanceError(f"precision={precision} is for transformer models, not {classifier.family!r}",
                                  fix="leave precision=auto or fp32")
            classifier.set_precision(precision)
        return classifier
    if precision != "fp32":
        raise StanceError(f"precision={precision} applies to runtime=torch; runtime={runtime} sets its own",
                          fix="use runtime=torch precision=bf16, or runtime=onnx (int8) alone")
    if runtime in ("onnx", "onnx-int8", "onnx-fp32"):
        name = "model.onnx" if runtime == "onnx-fp32" else "model.int8.onnx"
        return OnnxClassifier(Path(classifier.source_dir), name, num_threads)
    raise StanceError(f"runtime={runtime!r} is not one of {', '.join(RUNTIMES)}")


def load_replica(model_dir: str, runtime: str, num_threads: int | None, precision: str = "fp32"):
    """A model replica in a worker process (a Ray actor, a `workers=N` process): torch
    threads set, the saved folder loaded, the runtime and precision applied."""
    if num_threads:
        import torch

        torch.set_num_threads(num_threads)
    from stance.models import load

    return load_runtime(load(model_dir), runtime, num_threads, precision)
