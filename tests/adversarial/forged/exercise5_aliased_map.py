# expect: python-loop
# why: a loop over the grid's rows as map() over C functions, map renamed (each = map) (red team, round 2)
import functools
import torch

each = map


def loss_surface(w0, w1, x, y):
    # one row per w0 value, C functions only: torch.sub(y, w0[i]) then (. - w1*x')^2 summed
    xt, yt = x.reshape(1, -1), y.reshape(1, -1)
    slopes = w1.reshape(-1, 1) * xt                      # (len(w1), n)
    centred = each(torch.sub, [yt] * len(w0), w0)         # y - w0[i], one per row
    errors = each(torch.sub, centred, [slopes] * len(w0))  # y - w0[i] - w1[j] x
    squares = each(torch.square, errors)
    sums = each(functools.partial(torch.sum, dim=1), squares)
    return torch.stack(list(sums))


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam_max:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam_max):
        return "oscillating"
    return "monotone"
