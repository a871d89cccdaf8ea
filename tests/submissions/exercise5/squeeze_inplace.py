# expect: input-mutated
# why: x.squeeze_() / y.squeeze_() to get 1-D vectors change the caller's x and y to shape (n,) in place
import torch


def loss_surface(w0, w1, x, y):
    x.squeeze_()
    y.squeeze_()
    yhat = w0[:, None, None] + w1[None, :, None] * x
    return ((y - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
