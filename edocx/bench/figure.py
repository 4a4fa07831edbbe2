"""One measured figure of a bench: documents handled in so many seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    documents: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0
