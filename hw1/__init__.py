"""Homework 1 (Autograd and MLPs): the MNIST classifier and the handout's exercises."""
