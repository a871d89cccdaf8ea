# expect: wrong-value
# why: critical_alpha uses the smallest eigenvalue (eigvalsh(...)[0], ascending order) instead of the largest
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    lam = torch.linalg.eigvalsh(X.T @ X)[0]
    return 1 / lam.item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
