# expect: python-loop
# why: each = getattr(builtins, 'map'): a loop over the grid's rows through map fetched by a constant name, with C callables only (red team, round 4)
import builtins
import functools
import torch

each = getattr(builtins, "map")
per_column = functools.partial(torch.sum, dim=0)


def loss_surface(w0, w1, x, y):
    B = y - w1.reshape(1, -1) * x            # (n, J): broadcast over w1 only
    rows = each(B.sub, w0.unbind())          # a Python loop over the rows of the grid
    rows = each(torch.square, rows)
    rows = each(per_column, rows)
    return torch.stack(list(rows))


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam_max:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam_max):
        return "oscillating"
    return "monotone"
