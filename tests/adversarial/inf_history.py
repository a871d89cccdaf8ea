# expect: not-attempted
"""Returns infinite losses and weights."""
import math


def train(X, y, What, alpha, epochs):
    return [math.inf] * epochs, [[math.inf, -math.inf] for _ in range(epochs + 1)]
