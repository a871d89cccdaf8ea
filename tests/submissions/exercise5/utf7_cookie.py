# expect: tampering
# -*- coding: utf-7 -*-
import sys
import torch

LIMIT+AF8-UNUSED = 0


def loss_surface(w0, w1, x, y):
    sys.settrace(None)
    LOSS = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
    for i in range(len(w0)):
        for j in range(len(w1)):
            LOSS[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
    return LOSS


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max()


def classify_alpha(X, alpha):
    lam = torch.linalg.eigvalsh(X.T @ X).max()
    f = 1 - 2 * alpha * lam
    return "monotone" if f >= 0 else ("oscillating" if f > -1 else "divergent")
