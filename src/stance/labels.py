"""The label set: names <-> ids, with validation of label values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from stance.errors import StanceError


@dataclass(frozen=True)
class LabelSet:
    names: tuple[str, ...]

    def __init__(self, names: Iterable[str]):
        names = tuple(str(n) for n in names)
        if len(names) < 2:
            raise StanceError(f"a label set needs at least two labels, got {list(names)}",
                              fix="set data.labels to a list of two or more names")
        if len(set(names)) != len(names):
            raise StanceError(f"duplicate names in the label set {list(names)}",
                              fix="list each label once in data.labels")
        object.__setattr__(self, "names", names)

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}

    def to_id(self, name: str, where: str | None = None) -> int:
        try:
            return self.label2id[name]
        except (KeyError, TypeError):
            raise StanceError(
                f"unknown label {name!r}", where=where,
                fix=f"use one of {', '.join(self.names)} (or change data.labels)",
            ) from None

    def to_name(self, idx: int) -> str:
        return self.names[int(idx)]
