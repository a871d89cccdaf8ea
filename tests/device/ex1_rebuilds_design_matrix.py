# expect: device-mismatch
"""Exercise 1 whose predict rebuilds the column of ones with torch.ones(n, 1) (on the CPU)."""
import torch


def predict(X, What):
    n = X.shape[0]
    x = X[:, 1:]
    design = torch.cat([torch.ones(n, 1, dtype=X.dtype), x], dim=1)
    return design @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
