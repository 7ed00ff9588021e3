"""A sequence classifier on the mean of the encoder's token states.

Sentence-embedding checkpoints such as all-MiniLM-L6-v2 were trained with mean pooling,
not with the [CLS] token that `AutoModelForSequenceClassification` reads (through a
pooler layer those checkpoints never trained). This head reads what the encoder learned
to produce. Any `AutoModel` encoder works.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModel
from transformers.modeling_outputs import SequenceClassifierOutput

HEAD_FILE = "mean_pool_head.safetensors"


class MeanPoolClassifier(torch.nn.Module):
    base_model_prefix = "encoder"  # the wrapped encoder, as transformers' models name theirs
    def __init__(self, encoder, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.config = encoder.config  # export and the Trainer read it
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids=None, labels=None, **_):
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        logits = self.classifier(self.dropout(pooled))
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        # in training the sentence vectors ride along as the one "hidden state" (the contrastive
        # loss reads them); in evaluation the output stays logits only (the Trainer gathers it all)
        return SequenceClassifierOutput(loss=loss, logits=logits,
                                        hidden_states=(pooled,) if self.training else None)

    def set_attn_implementation(self, name: str) -> None:
        self.encoder.set_attn_implementation(name)

    def save_pretrained(self, path) -> None:
        self.encoder.save_pretrained(path)
        save_file({k: v.contiguous() for k, v in self.classifier.state_dict().items()},
                  str(Path(path) / HEAD_FILE))

    @classmethod
    def from_pretrained(cls, path, num_labels: int, **kwargs) -> "MeanPoolClassifier":
        model = cls(AutoModel.from_pretrained(path, **kwargs), num_labels)
        head = Path(path) / HEAD_FILE
        if head.is_file():
            model.classifier.load_state_dict(load_file(str(head)))
        return model
