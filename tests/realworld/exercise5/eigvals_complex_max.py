# expect: runtime-error
# cause: λmax via torch.linalg.eigvals(X.T @ X).max(): eigvals always returns a complex tensor, and max() is not defined for complex numbers (use eigvalsh, or .real)
# cause-words: eigvals, complex|eigvalsh
# inspired-by: https://github.com/pytorch/pytorch/pull/57727
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0.reshape(-1, 1, 1) + w1.reshape(1, -1, 1) * x.reshape(1, 1, -1)
    return torch.sum((y.reshape(1, 1, -1) - yhat) ** 2, dim=-1)


def critical_alpha(X):
    lam_max = torch.linalg.eigvals(X.T @ X).max()
    return (1 / lam_max).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvals(X.T @ X).max()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
