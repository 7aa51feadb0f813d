"""Benchmarks: run with ``python -m benchmarks`` (``--short`` for CI)."""
