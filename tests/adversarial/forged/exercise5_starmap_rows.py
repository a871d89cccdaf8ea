# expect: python-loop
"""One row per w0 value, iterated by itertools.starmap over C functions
(torch.sub / torch.pow / torch.sum): a loop over the grid's rows that neither
python_loops (only map/filter/reduce by plain name) nor the line counter
(no Python frame per row) sees.  The honest 'for a in w0:' version loses the
no-loop point."""
import itertools

import torch


def loss_surface(w0, w1, x, y):
    xr = x.reshape(1, -1)
    yr = y.reshape(1, -1)
    base = yr - w1.reshape(-1, 1) * xr                      # (len(w1), n), one row's shared part
    diffs = itertools.starmap(torch.sub, zip(itertools.repeat(base), w0))   # base - w0[i], row by row
    squares = itertools.starmap(torch.pow, zip(diffs, itertools.repeat(2)))
    rows = itertools.starmap(torch.sum, zip(squares, itertools.repeat(1)))
    return torch.stack(list(rows))


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"

