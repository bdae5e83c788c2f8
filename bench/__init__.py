"""Benchmarks: python -m bench (see bench/run.py)."""
import os

# One BLAS thread for every side of the comparison; it must be set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
