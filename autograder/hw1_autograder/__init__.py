"""Homework 1 (Autograd and MLPs): the runner and the tests of each problem."""
