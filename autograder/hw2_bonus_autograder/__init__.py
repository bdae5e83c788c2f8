"""The local autograder of the homework 2 bonus: Conv2d, MaxPool2d and AvgPool2d (15 points)."""
