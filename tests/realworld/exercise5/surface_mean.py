# expect: wrong-loss
# cause: loss_surface averages the squared errors (.mean over the data axis, the MSE) where the docstring asks for their sum (SSE): every entry is n times too small
# cause-words: mean|MSE, sum|SSE
# inspired-by: https://github.com/PaddlePaddle/models/issues/4895
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0.reshape(-1, 1, 1) + w1.reshape(1, -1, 1) * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).mean(dim=-1)


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam):
        return "oscillating"
    return "monotone"
