# expect: not-attempted
"""Returns NaN losses and NaN weights."""
import math


def train(X, y, What, alpha, epochs):
    return [math.nan] * epochs, [[math.nan, math.nan] for _ in range(epochs + 1)]
