# expect: python-loop
# why: the lecture's l(w0hat, w1hat) evaluated in a nested list comprehension and stacked: still a Python double loop
import torch


def loss_surface(w0, w1, x, y):
    def l(w0hat, w1hat):
        yhat = w0hat + w1hat * x
        return torch.sum((y - yhat) ** 2)
    return torch.stack([torch.stack([l(a, b) for b in w1]) for a in w0])


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
