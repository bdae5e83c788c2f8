"""The local autograder of homework 1 and the checks its tests share."""
