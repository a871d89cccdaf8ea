"""grader: an autograder for the lecture's PyTorch gradient-descent exercises."""

__version__ = "0.1.0"
