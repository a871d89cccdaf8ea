# expect: wrong-shape
# cause: torch.meshgrid(w0, w1, indexing="xy") (numpy's default) puts w1 on the first axis, so LOSS has shape (len(w1), len(w0)): the transpose; indexing="ij" is needed
# cause-words: indexing|meshgrid, (len(w0), len(w1))|transpose
# inspired-by: https://github.com/pytorch/pytorch/issues/50276
import torch


def loss_surface(w0, w1, x, y):
    W0, W1 = torch.meshgrid(w0, w1, indexing="xy")
    yhat = W0.unsqueeze(-1) + W1.unsqueeze(-1) * x.reshape(-1)
    return ((y.reshape(-1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1.0 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam):
        return "oscillating"
    return "monotone"
