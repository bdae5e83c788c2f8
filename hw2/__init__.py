"""Homework 2: convolutional networks on MyTorch (scanning MLPs and a 1-d CNN)."""
