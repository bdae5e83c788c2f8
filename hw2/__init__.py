"""Homework 2: convolutional networks on MyTorch (scanning MLPs and a 1-d CNN).

The handout's autograder puts hw2/ itself on sys.path and imports `hw2` (this folder's
hw2.py) and `mlp_scan`; importing the package gives the same names.
"""
from hw2.hw2 import CNN, get_final_conv_output_size  # noqa: F401
from hw2.mlp_scan import CNN_DistributedScanningMLP, CNN_SimpleScanningMLP  # noqa: F401
