# expect: python-loop
"""No loop syntax at all: the grid is filled by two recursive functions, one
call per grid point, run in a threading.Thread so that the worker's
sys.settrace line counter (which is per thread) never sees them."""
import threading

import torch


def _col(out, w0, w1, x, y, i, j):
    if j == len(w1):
        return
    out[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
    _col(out, w0, w1, x, y, i, j + 1)


def _row(out, w0, w1, x, y, i):
    if i == len(w0):
        return
    _col(out, w0, w1, x, y, i, 0)
    _row(out, w0, w1, x, y, i + 1)


def loss_surface(w0, w1, x, y):
    out = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
    t = threading.Thread(target=_row, args=(out, w0, w1, x, y, 0))
    t.start()
    t.join()
    return out


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"

