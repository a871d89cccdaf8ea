# expect: python-loop
"""The lecture's element-by-element Python loop over the grid, run by
ThreadPoolExecutor.map over every (i, j) pair.  No for/while/comprehension/
map() in the source (executor.map is an attribute call, which python_loops
does not flag), and the per-element Python function runs in a pool thread,
where the worker's sys.settrace line counter is not installed."""
import itertools
from concurrent.futures import ThreadPoolExecutor

import torch


def _cell(args):
    a, b, x, y = args
    return torch.sum((y - a - b * x) ** 2)


def loss_surface(w0, w1, x, y):
    pairs = itertools.product(w0, w1, [x], [y])
    with ThreadPoolExecutor(1) as pool:
        cells = pool.map(_cell, pairs)
        flat = torch.stack(list(cells)).to(x.device)
    return flat.reshape(len(w0), len(w1))


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"

