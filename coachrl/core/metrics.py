"""Averaging the metrics of several gradient steps into one report."""

from __future__ import annotations


class MetricMeans:
    """Running means of the metrics of several gradient steps."""

    def __init__(self, *metrics: dict[str, float]) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0
        for step in metrics:
            self.add(step)

    def add(self, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.count += 1

    def means(self) -> dict[str, float]:
        return {key: value / max(self.count, 1) for key, value in self.sums.items()}
