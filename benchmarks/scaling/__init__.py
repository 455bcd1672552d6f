"""Rollout-collection scaling with Ray workers (``python -m benchmarks.scaling``)."""
