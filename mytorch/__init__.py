"""MyTorch: a PyTorch-like deep-learning library on NumPy."""
