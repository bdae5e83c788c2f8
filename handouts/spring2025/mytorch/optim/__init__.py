"""Optimizers over the hand-derived layers (11-785 Spring 2025 HW1P1)."""
from .sgd import SGD

__all__ = ["SGD"]
