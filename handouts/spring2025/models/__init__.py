"""The handout's models, built from mytorch.nn (11-785 Spring 2025 HW1P1)."""
from .mlp import MLP0, MLP1, MLP4

__all__ = ["MLP0", "MLP1", "MLP4"]
