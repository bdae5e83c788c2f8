"""Shadows PyTorch on PYTHONPATH: a test that puts this folder first checks that a program
runs without torch."""
raise ImportError("torch is made unimportable for this test")
