# expect: python-loop
# why: loops over w0 in Python and vectorizes only over w1 (one loop of len(w0) iterations)
import torch


def loss_surface(w0, w1, x, y):
    rows = []
    for i in range(len(w0)):
        yhat = w0[i] + x * w1.reshape(1, -1)      # (n, len(w1))
        rows.append(torch.sum((y - yhat) ** 2, dim=0))
    return torch.stack(rows)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
