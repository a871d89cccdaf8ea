# expect: imports-grader
"""Hides the import of the answer key from a reader of its source."""
import importlib


def train(X, y, What, alpha, epochs):
    name = ".".join(["gra" + "der", "refer" + "ence", "exercise2"])
    module = importlib.import_module(name)
    return module.train(X, y, What, alpha, epochs)
