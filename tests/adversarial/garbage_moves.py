# expect: wrong-value
# why (red team): non-attempt disguised as an attempt: varying garbage histories + What nudged in place, to collect the behaviour checks
import torch


def train(X, y, What, alpha, epochs):
    with torch.no_grad():
        What += 1.0
    return [float(i + 1) for i in range(epochs)], [[float(i), float(-i)] for i in range(epochs + 1)]
