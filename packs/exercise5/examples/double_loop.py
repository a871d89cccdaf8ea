# expect: python-loop
# why: the lecture's plot_loss double for loop (LOSS[i,j] = torch.sum(...)): right values, not vectorized
import torch


def loss_surface(w0, w1, x, y):
    W0, W1 = torch.meshgrid(w0, w1, indexing="ij")
    LOSS = W0 * 0
    for i in range(len(w0)):
        for j in range(len(w1)):
            LOSS[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
    return LOSS


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
