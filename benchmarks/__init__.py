"""Benchmarks for heygen_async; run them with ``make bench`` or ``python -m benchmarks``."""
