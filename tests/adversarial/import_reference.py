# expect: imports-grader
"""Asks the grader for the answer key: the reference solution is one import away."""
import torch


def train(X, y, What, alpha, epochs):
    from grader.reference.exercise2 import train as reference_train

    return reference_train(X, y, What, alpha, epochs)
