# expect: full-marks
# cause: correct variant: closed form as torch.linalg.pinv(X) @ y, MSE via F.mse_loss, update with What.data.add_(What.grad, alpha=-alpha), mse_alpha returning float(n * sse_alpha)
# cause-words: -
# inspired-by: https://github.com/JuliaSeismo/SeisNoise.jl/issues/5
import torch
import torch.nn.functional as F


def mse_loss(yhat, y):
    return F.mse_loss(yhat, y)


def train_mse(X, y, What, alpha, epochs):
    losses, whats = [], [What.detach().view(-1).tolist()]
    for _ in range(epochs):
        loss = mse_loss(X @ What, y)
        loss.backward()
        What.data.add_(What.grad, alpha=-alpha)
        What.grad = None
        losses.append(loss.item())
        whats.append(What.detach().view(-1).tolist())
    return losses, whats


def mse_alpha(sse_alpha, n):
    return float(n * sse_alpha)


def closed_form(X, y):
    return torch.linalg.pinv(X) @ y
