"""The local autograder of the homework 1 bonus: Adam, Dropout and BatchNorm (25 points)."""
