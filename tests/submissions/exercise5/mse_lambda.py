# expect: wrong-classification
# why: takes λmax of X'X/n (the MSE Hessian scale) although alpha is an SSE learning rate, so every boundary is n times too large
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    n = X.shape[0]
    lam_max = torch.linalg.eigvalsh(X.T @ X / n).max().item()  # MSE 기준
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
