# expect: full-marks
# cause: correct variant: λmax(X'X) taken as the squared spectral norm torch.linalg.matrix_norm(X, ord=2) ** 2; the surface built from a (len(w0), len(w1), 1) grid of predictions with unsqueeze
# cause-words: -
# inspired-by: https://probabilistic.blog/2020/03/28/stepsize-for-gradient-descent-in-linear-regression/
import torch


def loss_surface(w0, w1, x, y):
    xs = x.reshape(-1)
    ys = y.reshape(-1)
    pred = w0.unsqueeze(1).unsqueeze(2) + w1.unsqueeze(0).unsqueeze(2) * xs
    return ((ys - pred) ** 2).sum(dim=2)


def _lam_max(X):
    return torch.linalg.matrix_norm(X, ord=2).item() ** 2


def critical_alpha(X):
    return 1.0 / _lam_max(X)


def classify_alpha(X, alpha):
    lam = _lam_max(X)
    if alpha >= 1.0 / lam:
        return "divergent"
    if alpha > 0.5 / lam:
        return "oscillating"
    return "monotone"
