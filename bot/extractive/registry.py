"""Features registered once: a name, a function of a lazily computed context, and an evidence sign.

A :class:`Registry` gives a fitted model's column order, the names its weights file must match
(:mod:`bot.extractive.weights`), the signs the trainer keeps its weights on, and the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Feature", "Registry"]


@dataclass(frozen=True)
class Feature:
    """One column of a fitted model."""

    name: str
    compute: Callable[[Any], Any]
    #: answerability only: +1 a closer or surer match can only raise the probability that the article
    #: answers, -1 missing or contradicting evidence can only lower it, 0 either way (the question's shape)
    sign: int = 0


class Registry:
    """Features in column order: names, signs and the matrix all come from here."""

    def __init__(self, *features: Feature) -> None:
        self.features = features
        self.names = [f.name for f in features]
        if len(set(self.names)) != len(self.names):
            raise ValueError("a feature is registered twice")
        self._columns = {name: i for i, name in enumerate(self.names)}

    def __iter__(self) -> Iterator[Feature]:
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)

    def __add__(self, other: Registry) -> Registry:
        return Registry(*self.features, *other.features)

    def column(self, name: str) -> int:
        return self._columns[name]

    @property
    def signs(self) -> dict[str, int]:
        return {f.name: f.sign for f in self.features}

    def matrix(self, context) -> np.ndarray:
        """One column per feature (rows: sentences)."""
        return np.column_stack([f.compute(context) for f in self.features]).astype(np.float32)

    def vector(self, context) -> np.ndarray:
        """One value per feature."""
        return np.asarray([f.compute(context) for f in self.features], dtype=np.float32)
