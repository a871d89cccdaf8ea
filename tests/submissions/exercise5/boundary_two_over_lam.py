# expect: wrong-classification
# why: uses the textbook 2/L rule with L = λmax(X'X), forgetting the SSE gradient's factor 2: boundaries 1/λmax and 2/λmax instead of 1/(2λmax) and 1/λmax
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    L = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 2 / L:
        return "divergent"
    elif alpha > 1 / L:
        return "oscillating"
    return "monotone"
