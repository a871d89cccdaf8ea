# expect: wrong-shape
# why: puts w1 on the first axis (like np.meshgrid(w1, w0)'s W1), returning shape (len(w1), len(w0)): the transpose
import torch


def loss_surface(w0, w1, x, y):
    W1, W0 = torch.meshgrid(w1, w0, indexing="ij")
    yhat = W0[..., None] + W1[..., None] * x.reshape(-1)
    return torch.sum((y.reshape(-1) - yhat) ** 2, dim=-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
