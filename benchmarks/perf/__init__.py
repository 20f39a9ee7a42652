"""The parts of ``benchmarks/performance.py``: the corpus it builds, one module per group of parts, and the
renderer of ``docs/performance.md``."""
