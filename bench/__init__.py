"""Benchmarks: python -m bench (see bench/run.py; what they share is bench/timing.py)."""
