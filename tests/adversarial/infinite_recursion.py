# expect: runtime-error
"""Unbounded recursion: a RecursionError inside the student's function."""


def step(n):
    return step(n + 1) + 1


def train(X, y, What, alpha, epochs):
    step(0)
    return [], []
