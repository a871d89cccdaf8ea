# expect: full-marks
"""Prints 20 MB of noise, then returns the right answer."""
import sys

import torch

LINE = "noise " * 16 + "\n"


def train(X, y, What, alpha, epochs):
    total = 0
    while total < 20 * 1024 * 1024:
        sys.stdout.write(LINE)
        total += len(LINE)
    sys.stdout.flush()
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for _ in range(epochs):
        loss = torch.sum((y - X @ What) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
