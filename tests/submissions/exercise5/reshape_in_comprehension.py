# expect: full-marks
# why: the four arguments reshaped in one comprehension over a literal tuple, then broadcasting (false-failure hunt)
import torch


def loss_surface(w0, w1, x, y):
    # flatten everything once, then broadcast
    w0, w1, x, y = [t.reshape(-1) for t in (w0, w1, x, y)]
    yhat = w0[:, None, None] + w1[None, :, None] * x[None, None, :]
    return ((y[None, None, :] - yhat) ** 2).sum(dim=2)


def critical_alpha(X):
    lam = torch.linalg.eigvalsh(X.T @ X)
    return 1.0 / lam.max().item()


def classify_alpha(X, alpha):
    lam = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha * lam >= 1:
        return "divergent"
    elif alpha * lam > 0.5:
        return "oscillating"
    else:
        return "monotone"
