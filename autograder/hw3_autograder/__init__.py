"""The local autograder of homework 3 (sequences and recurrent networks)."""
