"""The adapt stage: continued masked-language-model pretraining on the user's unlabelled dump.

Any input `predict` reads is streamed: documents -> sentences (the predict splitter) ->
distinct sentences of at least `min_words` words -> buffers of `buffer` sentences, tokenised,
cut into batches of similar length (shuffled) -> BERT-style masking -> one optimiser step per
batch, the loss computed on the masked positions only. The first `eval_sentences` distinct
sentences are held out to measure the MLM loss before and after. A checkpoint without an MLM
head (sentence encoders such as the default MiniLM) gets a new head, trained alone for
`head_warmup_steps` first so that its random start does not disturb the encoder.

The result is an encoder folder (weights with the original pooler, tokenizer, `adapt.json`,
and the trained head in `mlm_head.safetensors` so a later adapt run continues from it) that
`scripts/train.py model.pretrained=<folder>` fine-tunes like the packaged model. Tracked in
MLflow (experiment `adapt`): loss curve, tokens and sentences seen, cost per million sentences.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from stance import tracking
from stance.errors import StanceError
from stance.mlm import digest, length_batches, mask_tokens, pad, sentences

HEAD_FILE = "mlm_head.safetensors"
MANIFEST = "adapt.json"


class _Masked:
    """The MLM model and the pieces a training step needs."""

    def __init__(self, source: str, seed: int):
        import torch
        from transformers import AutoModelForMaskedLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the load report lists the new head: we say so ourselves
        torch.manual_seed(seed)
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.model, info = AutoModelForMaskedLM.from_pretrained(source, output_loading_info=True)
        prefix = self.model.base_model_prefix + "."
        self.head_params = [p for n, p in self.model.named_parameters() if not n.startswith(prefix)]
        self.base_params = [p for n, p in self.model.named_parameters() if n.startswith(prefix)]
        head_missing = any(not k.startswith(prefix) for k in info["missing_keys"])
        if head_missing and (Path(source) / HEAD_FILE).is_file():  # an earlier adapt run's head
            from safetensors.torch import load_file

            self.model.load_state_dict(load_file(str(Path(source) / HEAD_FILE)), strict=False)
            head_missing = False
        self.new_head = head_missing
        self.head = getattr(self.model, "cls", None) or getattr(self.model, "lm_head", None)
        self.special = set(self.tokenizer.all_special_ids)
        self.mask_id = self.tokenizer.mask_token_id
        if self.mask_id is None:
            raise StanceError(f"the tokenizer of {source} has no mask token: not a masked language model")

    def batch(self, ids: list[list[int]], probability: float, rng: np.random.Generator):
        import torch

        x, attention = pad(ids, self.tokenizer.pad_token_id or 0)
        maskable = (attention == 1) & ~np.isin(x, list(self.special))
        inputs, labels = mask_tokens(x, maskable, self.mask_id, len(self.tokenizer), probability, rng)
        return torch.from_numpy(inputs), torch.from_numpy(attention), torch.from_numpy(labels)

    def loss(self, inputs, attention, labels):
        """Cross-entropy on the masked positions; the vocabulary projection runs on those only."""
        import torch

        if self.head is None:  # an architecture whose head we do not know: the full forward
            return self.model(input_ids=inputs, attention_mask=attention, labels=labels).loss
        states = self.model.base_model(input_ids=inputs, attention_mask=attention).last_hidden_state
        where = labels != -100
        logits = self.head(states[where])
        return torch.nn.functional.cross_entropy(logits.float(), labels[where])


def _evaluate(m: _Masked, ids: list[list[int]], cfg, autocast) -> float:
    """Mean MLM loss over held-out sentences with a fixed masking (comparable before/after)."""
    import torch

    if not ids:
        return float("nan")
    rng = np.random.default_rng(cfg.seed + 1)
    total, n = 0.0, 0
    m.model.eval()
    with torch.inference_mode():
        for idx in length_batches([len(x) for x in ids], cfg.batch_size * 2, np.random.default_rng(0)):
            inputs, attention, labels = m.batch([ids[i] for i in sorted(idx)], cfg.mlm_probability, rng)
            if not bool((labels != -100).any()):
                continue
            with autocast():
                loss = m.loss(inputs, attention, labels)
            k = int((labels != -100).sum())
            total, n = total + float(loss) * k, n + k
    m.model.train()
    return total / max(n, 1)


def _save(m: _Masked, source: str, folder: Path) -> None:
    """The encoder as the base model class (keeping the checkpoint's pooler), the tokenizer, the head."""
    from safetensors.torch import save_file
    from transformers import AutoModel

    base = AutoModel.from_pretrained(source)
    missing, unexpected = base.load_state_dict(m.model.base_model.state_dict(), strict=False)
    if unexpected or any(not k.startswith("pooler.") for k in missing):
        raise StanceError(f"adapted weights do not fit the encoder "
                          f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    base.save_pretrained(folder)
    m.tokenizer.save_pretrained(folder)
    prefix = m.model.base_model_prefix + "."
    head = {k: v.detach().contiguous().clone() for k, v in m.model.state_dict().items() if not k.startswith(prefix)}
    if head:
        save_file(head, str(folder / HEAD_FILE))


def run(cfg) -> Path:
    import torch

    from stance.hardware import native_bf16
    from stance.inference.readers import iter_documents
    from stance.models.transformer import resolve_pretrained
    from stance.segment import split_spans

    out = Path(cfg.output)
    if out.exists():
        raise StanceError("output folder exists", where=str(out), fix="give a new folder for the adapted model")
    if cfg.precision not in ("auto", "fp32", "bf16"):
        raise StanceError(f"precision={cfg.precision!r} is not one of auto, fp32, bf16")
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and native_bf16("cpu"))

    def autocast():
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)

    source = resolve_pretrained(cfg.pretrained)
    m = _Masked(source, cfg.seed)
    bad: list[str] = []

    def stream(skip=None):
        docs = iter_documents(cfg.input, cfg.text_field, cfg.id_field, on_error=lambda w, r: bad.append(w),
                              txt_mode=cfg.txt_mode, max_chars=cfg.max_doc_chars)
        return sentences(docs, lambda text: split_spans([text])[0], cfg.min_words, skip=skip)

    def encode(texts):
        return m.tokenizer(texts, truncation=True, max_length=cfg.max_length)["input_ids"]

    first = stream()
    held_out = list(itertools.islice(first, cfg.eval_sentences))
    skip = {digest(t) for t in held_out}
    eval_ids = encode(held_out) if held_out else []
    rng = np.random.default_rng(cfg.seed)

    config_name = "adapt"
    resolved = OmegaConf.to_container(cfg, resolve=True)
    tags = {"stage": "adapt", "git_commit": tracking.git_commit(Path(cfg.paths.root)),
            "base_model": str(cfg.pretrained), "input": str(cfg.input), "output": str(out.resolve())}
    totals = {"steps": 0, "sentences": 0, "tokens": 0, "head_steps": 0}
    with tracking.start_run(cfg.tracking, config_name, cfg.run_name or f"adapt {Path(str(cfg.input)).name}",
                            tags) as mlrun:
        mlrun.log_params(tracking.flatten(resolved))
        m.model.train()
        timing = {}  # per phase: wall and CPU seconds of reading, splitting, tokenising and training
        before = None
        head_first = m.new_head and cfg.head_warmup_steps > 0
        phases = ([("head", cfg.head_warmup_steps)] if head_first else []) + [("all", None)]
        batches = _batches(first, skip, stream, encode, cfg, rng)
        for phase, limit in phases:
            params = m.head_params if phase == "head" else m.base_params + m.head_params
            for p in m.base_params:
                p.requires_grad_(phase == "all")
            opt = torch.optim.AdamW(params, lr=cfg.head_lr if phase == "head" else cfg.lr,
                                    weight_decay=cfg.weight_decay)
            warm = 1 if phase == "head" else max(1, cfg.warmup_steps)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s, warm=warm: min(1.0, (s + 1) / warm))
            if phase == "all":
                before = _evaluate(m, eval_ids, cfg, autocast)
                print(f"held-out MLM loss before: {before:.4f} ({len(held_out)} sentences)", file=sys.stderr)
            steps, running = 0, []
            clock = timing[phase] = {"sentences": 0, "tokens": 0, "started": time.time(),
                                     "cpu_started": time.process_time()}
            for ids in batches:
                inputs, attention, labels = m.batch(ids, cfg.mlm_probability, rng)
                if not bool((labels != -100).any()):  # nothing maskable (only special/unknown tokens)
                    continue
                with autocast():
                    loss = m.loss(inputs, attention, labels)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                steps += 1
                totals["steps"] += 1
                totals["head_steps"] += phase == "head"
                totals["sentences"] += len(ids)
                totals["tokens"] += int(attention.sum())
                clock["sentences"] += len(ids)
                clock["tokens"] += int(attention.sum())
                running.append(float(loss.detach()))
                if totals["steps"] % cfg.logging_steps == 0:
                    rate = clock["sentences"] / (time.time() - clock["started"])
                    mlrun.log_metrics({"loss": float(np.mean(running)), "learning_rate": sched.get_last_lr()[0],
                                       "tokens_seen": totals["tokens"], "sentences_seen": totals["sentences"],
                                       "sentences_per_s": rate}, step=totals["steps"])
                    print(f"step {totals['steps']} ({phase})  loss {np.mean(running):.4f}  "
                          f"{totals['sentences']} sentences  {rate:.1f} sentences/s", file=sys.stderr, flush=True)
                    running = []
                if limit is not None and steps >= limit:
                    break
            clock["seconds"] = round(time.time() - clock.pop("started"), 1)
            clock["cpu_seconds"] = round(time.process_time() - clock.pop("cpu_started"), 1)
        if totals["sentences"] == 0:
            raise StanceError(f"no sentences to train on after holding out {len(held_out)} for evaluation",
                              where=str(cfg.input), fix="give a larger dump, or lower eval_sentences / min_words")
        after = _evaluate(m, eval_ids, cfg, autocast)
        # the cost of a large dump is the encoder phase's (the head's warm-up is a fixed 100 steps)
        steady = timing["all"] if timing.get("all", {}).get("sentences") else timing[phases[0][0]]
        per_million = 1e6 / steady["sentences"]
        seconds = sum(t["seconds"] for t in timing.values())
        result = {
            "base_model": str(cfg.pretrained), "input": str(cfg.input), "epochs": cfg.epochs,
            "sentences_seen": totals["sentences"], "tokens_seen": totals["tokens"], "steps": totals["steps"],
            "head_warmup_steps": totals["head_steps"], "new_mlm_head": m.new_head,
            "eval_sentences": len(held_out), "eval_mlm_loss_before": before, "eval_mlm_loss_after": after,
            "bad_records": len(bad), "precision": "bf16" if bf16 else "fp32", "threads": torch.get_num_threads(),
            "phases": timing, "train_seconds": round(seconds, 1),
            "sentences_per_s": round(steady["sentences"] / max(steady["seconds"], 1e-9), 2),
            "hours_per_million_sentences": round(steady["seconds"] * per_million / 3600, 2),
            "cpu_hours_per_million_sentences": round(steady["cpu_seconds"] * per_million / 3600, 2),
            "mlflow_run_id": mlrun.run_id,
        }
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            _save(m, source, tmp)
            (tmp / MANIFEST).write_text(json.dumps(result, indent=2) + "\n")
            tmp.rename(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        mlrun.log_metrics({k: v for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
        mlrun.log_text(json.dumps(result, indent=2), MANIFEST)
    print(f"adapted {cfg.pretrained} on {totals['sentences']:,} sentences ({totals['tokens']:,} tokens) in "
          f"{seconds / 60:.1f} min: {result['sentences_per_s']} sentences/s, "
          f"{result['hours_per_million_sentences']} h per million sentences; held-out MLM loss "
          f"{before:.3f} -> {after:.3f}\nsaved to {out}; fine-tune it with "
          f"python scripts/train.py model.pretrained={out}", file=sys.stderr)
    return out


def _batches(first, skip, stream, encode, cfg, rng):
    """Token-id batches over `epochs` passes: buffers of sentences, length-bucketed, shuffled.
    `first` is the already-started first pass; later passes re-read the input, skipping `skip`."""
    for epoch in range(cfg.epochs):
        texts = first if epoch == 0 else stream(skip)
        if cfg.max_sentences:
            texts = itertools.islice(texts, cfg.max_sentences)
        while True:
            buffer = list(itertools.islice(texts, cfg.buffer))
            if not buffer:
                break
            ids = encode(buffer)
            for batch in length_batches([len(x) for x in ids], cfg.batch_size, rng):
                yield [ids[i] for i in batch]
