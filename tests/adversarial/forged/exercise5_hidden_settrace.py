# expect: tampering
# why: reaches sys.settrace through a computed name (no "settrace" in the source) and turns the line counter off: the worker finds its tracer gone at the end of the call, which is tampering
import sys

import torch


def loss_surface(w0, w1, x, y):
    getattr(sys, "set" + "trace")(None)
    rows = []
    for a in w0:
        rows.append(torch.stack([torch.sum((y - a - b * x) ** 2) for b in w1]))
    return torch.stack(rows)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam:
        return "divergent"
    if alpha > 1 / (2 * lam):
        return "oscillating"
    return "monotone"
