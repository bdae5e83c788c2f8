"""The local autograder of homework 2: Conv1d, Flatten, the scanning MLPs and the CNN (95 points)."""
